//! The lab's HTTP/1.1 server connection (RFC 9112). Correct when the
//! scenario is well behaved; the HTTP/1.1 scenarios of DESIGN.md §7 (S18:
//! keep-alive connections closed by the server as the client reuses them)
//! are decided per request in `policy.rs`.
//!
//! One task per connection reads a request, reads its body, answers, and
//! loops: pipelined requests are answered in order, and their responses
//! leave together when they are already buffered.

mod body;
mod chunked;
mod conn;
mod date;
mod head;
mod policy;
mod response;
mod write;

use std::io;
use std::sync::Arc;

use bytes::Buf;
use tokio::io::{AsyncRead, AsyncWrite};

use self::body::Failure;
use self::conn::Conn;
use self::head::{Parse, RequestHead};
use self::policy::{Head, Idle, Policy};
use self::response::BodyFraming;
use self::write::Answer;
use crate::context::{ConnInfo, Shared};
use crate::routes;

/// Serves one HTTP/1.1 connection until it ends.
pub(crate) async fn serve<IO>(io: IO, shared: Arc<Shared>, info: ConnInfo) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut conn = Conn::new(io);
    // Every HTTP/1.1 count is per connection: the ordinal is not needed.
    let mut policy = Policy::new(&info.scenario, &shared.reload);
    let mut head = RequestHead::default();
    let mut n: u32 = 0;
    loop {
        n = n.saturating_add(1);
        match policy.idle(n, !conn.input.is_empty()) {
            Idle::Serve => {}
            Idle::Close => return conn.close().await,
            // Dropping closes: FIN, or RST when input is left unread.
            Idle::Drop => return conn.flush().await,
            Idle::DropOnArrival => return conn.drop_on_arrival().await,
        }
        match read_head(&mut conn, &mut head, &mut policy).await? {
            Arrival::Head => {}
            Arrival::End => return Ok(()),
            Arrival::Reload => return conn.close().await,
            Arrival::Reject(status) => return conn.reject(status).await,
        }
        match policy.head(n) {
            Head::Process => {}
            Head::Drop => {
                shared.ledger.ignored();
                return conn.flush().await;
            }
            Head::DropMidBody => {
                shared.ledger.ignored();
                return conn.read_part_of_body(&head).await;
            }
        }
        let body = match conn.read_body(&head).await {
            Ok(body) => body,
            Err(Failure::Reject(status)) => return conn.reject(status).await,
            Err(Failure::Io(e)) => return Err(e),
        };
        shared.count_request();
        shared.ledger.processed(routes::ledger_id(head.target(), head.request_id()).as_deref());
        let plan = routes::plan(head.target(), &body);
        drop(body);
        if !plan.delay.is_zero() {
            conn.flush().await?;
            tokio::time::sleep(plan.delay).await;
        }
        let framing = response::framing(plan.status, &plan.body, plan.trailers.is_some(), head.http10);
        let reply = policy.reply(n, head.keep_alive && framing != BodyFraming::Close);
        let connection = match (reply.announce, head.http10 && !reply.close) {
            (true, _) => Some("close"),
            // HTTP/1.0 keep-alive is opt-in both ways (RFC 9112 Appendix C.2.2).
            (false, true) => Some("keep-alive"),
            (false, false) => None,
        };
        let cut = reply.cut.then(|| plan.body.len() / 2);
        conn.write_response(&plan, Answer { framing, connection, head_only: head.is_head, cut }).await?;
        if reply.cut {
            return conn.flush().await;
        }
        if reply.close {
            return conn.close().await;
        }
    }
}

/// How waiting for a request head ended.
enum Arrival {
    /// A complete head, consumed from the input and parsed into `head`.
    Head,
    /// The client closed (or failed) between or inside heads.
    End,
    /// A reload came while the connection was idle.
    Reload,
    /// A head to answer with this status, then close.
    Reject(http::StatusCode),
}

/// Reads until the next request head is complete.
async fn read_head<IO>(
    conn: &mut Conn<IO>,
    head: &mut RequestHead,
    policy: &mut Policy,
) -> io::Result<Arrival>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        if !conn.input.is_empty() {
            match head.parse(&conn.input) {
                Parse::Complete(len) => {
                    conn.input.advance(len);
                    return Ok(Arrival::Head);
                }
                Parse::Partial => {}
                Parse::Reject(status) => return Ok(Arrival::Reject(status)),
            }
        }
        let read = match policy.reload() {
            // Idle: no byte of the next request yet.
            Some(reload) if conn.input.is_empty() => conn.read_or_reload(reload).await,
            _ => conn.read_more().await.map(Some),
        };
        match read {
            Ok(None) => return Ok(Arrival::Reload),
            Ok(Some(0)) => return Ok(Arrival::End),
            Ok(Some(_)) => {}
            // A client resetting an idle connection is not our failure.
            Err(e) if conn.input.is_empty() && e.kind() == io::ErrorKind::ConnectionReset => {
                return Ok(Arrival::End);
            }
            Err(e) => return Err(e),
        }
    }
}
