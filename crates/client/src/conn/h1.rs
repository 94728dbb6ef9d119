//! HTTP/1.1 connections: one task per connection owns the socket and its
//! `baton_proto::h1::Connection`, and runs the exchanges the pool hands it,
//! one at a time (RFC 9112 §9.3: no pipelining). Between exchanges it
//! watches the idle socket, so a connection the server closed is known
//! before a request is given to it. The pool holds the handle, [`H1Conn`],
//! while the connection is idle; the task holds it while an exchange runs,
//! and sends it home after one that leaves the connection reusable.

mod exchange;
mod handoff;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use baton_proto::h1;
use handoff::Handoff;

use super::{AttemptRequest, FINAL_FLUSH, Outcome, ReadRoom};
use crate::connect::BoxIo;
use crate::failure::{AttemptFailure, Cause};
use crate::journal::Processing;

/// An HTTP/1.1 connection, idle in the pool or leased for one request.
pub(crate) struct H1Conn {
    pub(crate) id: u64,
    /// Where the pool hands the task its requests; the task says there
    /// when the connection has ended.
    jobs: Arc<Handoff<Job>>,
    /// What the engine said when the last exchange ended.
    requests: u64,
    idle_since: Option<Instant>,
    keep_alive: Option<Duration>,
    /// The connection's place in its origin's count, given back when the
    /// handle is dropped (the connection closed), wherever that happens.
    slot: Slot,
}

/// A request handed to a connection's task, with the connection's handle
/// and where it goes when the exchange is done.
struct Job {
    request: AttemptRequest,
    conn: H1Conn,
    home: Home,
}

/// Runs its action once, when dropped.
pub(crate) struct Slot(Option<Box<dyn FnOnce() + Send>>);

impl Slot {
    pub(crate) fn new(release: impl FnOnce() + Send + 'static) -> Self {
        Self(Some(Box::new(release)))
    }

    fn none() -> Self {
        Self(None)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(release) = self.0.take() {
            release();
        }
    }
}

/// Where a reusable connection goes after its exchange.
pub(crate) type Home = Box<dyn FnOnce(H1Conn) + Send>;

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

impl H1Conn {
    /// Starts the connection's task on `io`; idle past `idle_timeout` (or
    /// the server's keep-alive timeout, see [`Self::expired`]), it closes.
    pub(crate) fn spawn(id: u64, io: BoxIo, idle_timeout: Duration) -> Self {
        let jobs = Arc::new(Handoff::new());
        tokio::spawn(serve(id, io, jobs.clone(), idle_timeout));
        Self { id, jobs, requests: 0, idle_since: None, keep_alive: None, slot: Slot::none() }
    }

    /// Ties the connection to a place in its origin's count.
    pub(crate) fn hold(&mut self, slot: Slot) {
        self.slot = slot;
    }

    /// True when the connection carried a request before.
    pub(crate) fn reused(&self) -> bool {
        self.requests > 0
    }

    /// True when an idle connection has outlived `idle_timeout`, or the
    /// server's `Keep-Alive: timeout=` less a one-second margin.
    pub(crate) fn expired(&self, idle_timeout: Duration) -> bool {
        let Some(since) = self.idle_since else { return false };
        now().saturating_duration_since(since) >= idle_limit(idle_timeout, self.keep_alive)
    }

    /// DESIGN.md §4: false once the task saw the idle socket closed (or
    /// holding bytes nobody asked for, e.g. a 408): not to be reused.
    pub(crate) fn is_open(&self) -> bool {
        !self.jobs.ended()
    }

    /// Hands `request` to the connection's task; the outcome comes back on
    /// the request's `respond`, and the connection goes `home` if it can
    /// carry another.
    pub(crate) fn send(self, request: AttemptRequest, home: Home) {
        let jobs = self.jobs.clone();
        if let Err(job) = jobs.give(Job { request, conn: self, home }) {
            job.not_sent();
        }
    }
}

impl Drop for H1Conn {
    /// The pool let the connection go (or its last exchange ended it): the
    /// task closes the socket.
    fn drop(&mut self) {
        self.jobs.release();
    }
}

impl Job {
    /// The connection ended before this job's request went out: nothing
    /// was sent, so it is retried on a fresh connection whatever its method
    /// (DESIGN.md §3).
    fn not_sent(self) {
        let Self { request: AttemptRequest { mut attempt, respond, .. }, conn, .. } = self;
        let why = "the server closed the idle connection before the request went out";
        attempt.version = http::Version::HTTP_11;
        attempt.connection_id = conn.id;
        attempt.error = Some(why.into());
        let cause = Cause::Exchange(h1::CloseCause::Eof);
        let failure = AttemptFailure::new(attempt, cause, Processing::NotSent, !conn.reused());
        let _ = respond.send(Outcome::Failed(failure));
    }
}

/// How long a connection may stay idle: `idle_timeout`, or less when the
/// server said `Keep-Alive: timeout=` (with a one-second margin, so the
/// client lets go before the server does).
fn idle_limit(idle_timeout: Duration, keep_alive: Option<Duration>) -> Duration {
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
async fn serve(id: u64, io: BoxIo, jobs: Arc<Handoff<Job>>, idle_timeout: Duration) {
    // Ends the hand-over however the task ends, dropped with a runtime that
    // shuts down included: the pool sees the connection closed, and a job
    // handed over meanwhile fails as not sent instead of waiting forever.
    let ending = Ending(jobs.clone());
    let mut engine = h1::Connection::new(h1::Config::default());
    let (mut rd, mut wr) = tokio::io::split(io);
    let mut room = ReadRoom::up_to(READ_ROOM_MAX);
    // The handle of the exchange that ended the connection: its place in
    // the origin's count is given back once the socket is closed.
    let mut last = None;
    loop {
        let mut probe = [0u8; 1];
        let expiry = engine.idle_since().map(|since| {
            tokio::time::Instant::from_std(since + idle_limit(idle_timeout, engine.keep_alive_timeout()))
        });
        let job = tokio::select! {
            // The socket first: a close that has arrived fails no request
            // (DESIGN.md §4, a pooled socket is checked for EOF before reuse).
            biased;
            read = rd.read(&mut probe) => {
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
            () = super::sleep_until(expiry), if expiry.is_some() => {
                tracing::debug!(connection = id, "idle HTTP/1.1 connection expired");
                break;
            }
        };
        let Job { request, mut conn, home } = job;
        let wire = exchange::Wire { id, engine: &mut engine, rd: &mut rd, wr: &mut wr, room: &mut room };
        let sound = exchange::run(wire, request).await;
        if !sound || !engine.is_reusable() {
            last = Some(conn);
            break;
        }
        conn.requests = engine.requests_started();
        conn.idle_since = engine.idle_since();
        conn.keep_alive = engine.keep_alive_timeout();
        home(conn);
    }
    drop(ending);
    let _ = tokio::time::timeout(FINAL_FLUSH, wr.shutdown()).await;
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

#[cfg(test)]
mod tests;
