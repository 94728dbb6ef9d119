//! An HTTP/1.1 connection's task: the one place that touches its socket
//! and its engine, between exchanges and during them.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use baton_proto::h1;

use super::exchange;
use super::handle::Job;
use super::handoff::Handoff;
use crate::conn::shutdown::TaskGuard;
use crate::conn::timer::Timer;
use crate::conn::{FINAL_FLUSH, ReadRoom};
use crate::connect::{BoxIo, Forward};

/// How long a connection may stay idle: `idle_timeout`, or less when the
/// server said `Keep-Alive: timeout=` (with a one-second margin, so the
/// client lets go before the server does).
pub(super) fn idle_limit(idle_timeout: Duration, keep_alive: Option<Duration>) -> Duration {
    let server = keep_alive.map(|t| t.saturating_sub(Duration::from_secs(1)));
    server.map_or(idle_timeout, |s| s.min(idle_timeout))
}

/// The most room a connection makes for one read.
const READ_ROOM_MAX: usize = 256 << 10;

/// The connection's task: idle, it watches the socket for the server's
/// close; handed a job, it runs the exchange; after one that leaves the
/// connection reusable (RFC 9112 §9.3), it sends the handle home. Idle for
/// too long (DESIGN.md §4: idle connections expire), it closes, whether or
/// not the pool looks at it again.
pub(super) async fn serve(
    id: u64,
    // Owned whole: the exchange waits on both directions in one future
    // (`conn/socket.rs`), without `tokio::io::split`'s lock.
    mut io: BoxIo,
    forward: Option<Forward>,
    jobs: Arc<Handoff<Job>>,
    idle_timeout: Duration,
    _task: TaskGuard,
) {
    // Ends the hand-over however the task ends, dropped with a runtime that
    // shuts down included: the pool sees the connection closed, and a job
    // handed over meanwhile fails as not sent instead of waiting forever.
    let ending = Ending(jobs.clone());
    let mut engine = h1::Connection::new(h1::Config::default());
    if forward.is_some() {
        engine.use_absolute_form();
    }
    let proxy_authorization = forward.and_then(|f| f.authorization);
    let mut room = ReadRoom::up_to(READ_ROOM_MAX);
    // The handle of the exchange that ended the connection: its place in
    // the origin's count is given back once the socket is closed.
    let mut last = None;
    // One timer for the idle expiry for the connection's life, not one per
    // idle spell (`conn/timer.rs`): a busy connection goes idle after every
    // response.
    let mut idle = Timer::new();
    loop {
        let mut probe = [0u8; 1];
        let expiry = engine.idle_since().map(|since| {
            tokio::time::Instant::from_std(since + idle_limit(idle_timeout, engine.keep_alive_timeout()))
        });
        idle.by(expiry);
        let job = tokio::select! {
            // The socket first: a close that has arrived fails no request
            // (DESIGN.md §4, a pooled socket is checked for EOF before reuse).
            biased;
            read = io.read(&mut probe) => {
                // EOF, an error, or bytes nobody asked for (a 408 before a
                // close): not reusable either way.
                tracing::debug!(connection = id, ?read, "idle HTTP/1.1 connection closed by the server");
                break;
            }
            job = jobs.take() => match job {
                Some(job) => job,
                // The pool let the connection go.
                None => break,
            },
            () = idle.fired(), if expiry.is_some() => {
                if expiry.is_some_and(|at| at > tokio::time::Instant::now()) {
                    // Set for an earlier idle spell: not expired yet.
                    continue;
                }
                tracing::debug!(connection = id, "idle HTTP/1.1 connection expired");
                break;
            }
        };
        let Job { request, mut conn, home } = job;
        let wire = exchange::Wire {
            id,
            engine: &mut engine,
            io: &mut io,
            room: &mut room,
            proxy_authorization: proxy_authorization.as_ref(),
        };
        let mut finished = exchange::run(wire, request).await;
        if !finished.sound || !engine.is_reusable() {
            finished.tell_end();
            last = Some(conn);
            break;
        }
        conn.idle_after(&engine);
        home(conn);
        // Only now does the reader hear that its body ended: the request
        // it sends next finds this connection in the pool. (Told first,
        // a reader on another worker could look before it was back, and
        // open a connection more.)
        finished.tell_end();
    }
    drop(ending);
    let _ = tokio::time::timeout(FINAL_FLUSH, io.shutdown()).await;
    drop(last);
}

/// Ends a connection's hand-over when dropped.
struct Ending(Arc<Handoff<Job>>);

impl Drop for Ending {
    fn drop(&mut self) {
        // A request handed over as the connection ended never went out.
        if let Some(job) = self.0.end() {
            job.not_sent();
        }
    }
}
