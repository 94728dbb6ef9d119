//! What the pool holds of an HTTP/1.1 connection ([`H1Conn`]), the job it
//! hands the connection's task, and the place in the origin's count the
//! connection keeps while it lives ([`Slot`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton_proto::h1;

use super::handoff::Handoff;
use super::now;
use super::task::{idle_limit, serve};
use crate::conn::shutdown::TaskGuard;
use crate::conn::{AttemptRequest, Outcome};
use crate::connect::{BoxIo, Forward};
use crate::failure::{AttemptFailure, Cause};
use crate::journal::Processing;

/// An HTTP/1.1 connection, idle in the pool or leased for one request.
pub(crate) struct H1Conn {
    pub(crate) id: u64,
    /// The TLS version negotiated, for the journal; `None` over cleartext.
    pub(crate) tls_version: Option<crate::tls::Version>,
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
pub(super) struct Job {
    /// Boxed: it moves through the hand-over, the task's `select!` and the
    /// exchange (measured with callgrind: the box costs less than copies).
    pub(super) request: Box<AttemptRequest>,
    pub(super) conn: H1Conn,
    pub(super) home: Home,
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

/// Where a reusable connection goes after its exchange: one per origin,
/// shared by its leases (a lease clones it rather than boxing a closure of
/// its own).
pub(crate) type Home = Arc<dyn Fn(H1Conn) + Send + Sync>;

impl H1Conn {
    /// Starts the connection's task on `io`; idle past `idle_timeout` (or
    /// the server's keep-alive timeout, see [`Self::expired`]), it closes.
    /// `task` counts it among the client's running connection tasks.
    /// With `forward`, `io` goes to a forward proxy: requests go in
    /// absolute-form with its credentials.
    pub(crate) fn spawn(
        id: u64,
        io: BoxIo,
        forward: Option<Forward>,
        idle_timeout: Duration,
        task: TaskGuard,
    ) -> Self {
        let jobs = Arc::new(Handoff::new());
        tokio::spawn(serve(id, io, forward, jobs.clone(), idle_timeout, task));
        Self {
            id,
            tls_version: None,
            jobs,
            requests: 0,
            idle_since: None,
            keep_alive: None,
            slot: Slot::none(),
        }
    }

    /// What the engine says of the connection once an exchange left it
    /// idle and reusable: how many requests it carried, since when it is
    /// idle, and the server's `Keep-Alive: timeout=`.
    pub(super) fn idle_after(&mut self, engine: &h1::Connection) {
        self.requests = engine.requests_started();
        self.idle_since = engine.idle_since();
        self.keep_alive = engine.keep_alive_timeout();
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
    pub(crate) fn send(self, request: Box<AttemptRequest>, home: Home) {
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
    pub(super) fn not_sent(self) {
        let Self { request, conn, .. } = self;
        let AttemptRequest { mut attempt, respond, .. } = *request;
        let why = "the server closed the idle connection before the request went out";
        attempt.version = http::Version::HTTP_11;
        attempt.connection_id = conn.id;
        attempt.error = Some(why.into());
        let cause = Cause::Exchange(h1::CloseCause::Eof);
        let failure = AttemptFailure::new(attempt, cause, Processing::NotSent, !conn.reused());
        let _ = respond.send(Outcome::Failed(Box::new(failure)));
    }
}
