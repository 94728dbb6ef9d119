//! What the pool holds of an HTTP/2 connection, and what it shares with the
//! connection's task: the state, the stream slots, and the wait for the
//! server's SETTINGS.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use tokio::sync::mpsc;

use baton_proto::Processing;
use baton_proto::h2::{CloseCause, ConnectionState};

use super::command::Cmd;
use crate::conn::origin::OriginShared;
use crate::conn::{AttemptRequest, Outcome};
use crate::failure::{AttemptFailure, Cause};

/// The engine's [`ConnectionState`], as the driver last published it for the
/// pool (which must not wait on the driver to read it).
#[derive(Debug)]
pub(super) struct SharedState(AtomicU8);

impl SharedState {
    fn new() -> Self {
        Self(AtomicU8::new(Self::encode(ConnectionState::Open)))
    }

    const fn encode(state: ConnectionState) -> u8 {
        match state {
            ConnectionState::Open => 0,
            ConnectionState::Draining => 1,
            ConnectionState::Closed => 2,
        }
    }

    pub(super) fn load(&self) -> ConnectionState {
        match self.0.load(Ordering::Acquire) {
            0 => ConnectionState::Open,
            1 => ConnectionState::Draining,
            _ => ConnectionState::Closed,
        }
    }

    fn store(&self, state: ConnectionState) {
        self.0.store(Self::encode(state), Ordering::Release);
    }
}

/// What the pool and the driver share about one connection.
#[derive(Debug)]
pub(super) struct H2Shared {
    pub(super) state: SharedState,
    /// Streams reserved or open.
    pub(super) active: AtomicUsize,
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS.
    pub(super) max: AtomicUsize,
    /// Streams handed out so far (to tell a reused connection from a new one).
    pub(super) opened: AtomicU64,
    /// The server's SETTINGS (its connection preface, RFC 9113 §3.4) has
    /// arrived. No stream is opened before: a connection the server never
    /// took up (a listener closing on reload, a server that is not HTTP/2)
    /// then fails its requests as never sent, and the first requests know
    /// the server's real concurrency limit.
    pub(super) ready: AtomicBool,
    /// Streams may be opened before the server's SETTINGS, for requests the
    /// client's `SettingsWait` lets go early (`settings_wait.rs`).
    pub(super) early: AtomicBool,
    /// How the connection ended, once it has.
    pub(super) closed_by: Mutex<Option<CloseCause>>,
    /// What the origin's connections share and learn (`origin.rs`).
    pub(super) origin: Arc<OriginShared>,
    /// The address it is connected to and when it is due for rotation,
    /// for spreading (`spread.rs`).
    peer: OnceLock<(Option<SocketAddr>, Option<Instant>)>,
    /// The pool rotated it out: no new streams.
    retired: AtomicBool,
    /// The server's GOAWAY said it took streams: its last stream id was
    /// above 0.
    pub(super) served: AtomicBool,
}

impl H2Shared {
    /// A new connection's, assuming `max_streams` until the server's
    /// SETTINGS say otherwise.
    pub(super) fn new(max_streams: usize, origin: Arc<OriginShared>) -> Self {
        Self {
            state: SharedState::new(),
            active: AtomicUsize::new(0),
            max: AtomicUsize::new(max_streams),
            opened: AtomicU64::new(0),
            ready: AtomicBool::new(false),
            early: AtomicBool::new(false),
            closed_by: Mutex::new(None),
            origin,
            peer: OnceLock::new(),
            retired: AtomicBool::new(false),
            served: AtomicBool::new(false),
        }
    }

    /// A reserved slot is free again.
    pub(super) fn unreserve(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
        self.origin.notify.notify_one();
    }

    /// Publishes the engine's state, and wakes whoever waits on the origin.
    pub(super) fn set_state(&self, state: ConnectionState) {
        self.state.store(state);
        self.origin.notify.notify_waiters();
    }
}

/// The pool's handle on a connection driver.
#[derive(Debug, Clone)]
pub(crate) struct H2Handle {
    pub(crate) id: u64,
    /// The TLS version negotiated, for the journal; `None` for h2c.
    pub(crate) tls_version: Option<crate::tls::Version>,
    pub(super) tx: mpsc::UnboundedSender<Cmd>,
    pub(super) shared: Arc<H2Shared>,
}

impl H2Handle {
    /// Takes a stream slot if the connection is open and below the server's
    /// limit, and its SETTINGS arrived (or, for a request that may go
    /// `early`, the connection takes streams before them). Returns whether
    /// the connection had carried streams before.
    pub(crate) fn try_reserve(&self, early: bool) -> Option<bool> {
        let s = &self.shared;
        if s.state.load() != ConnectionState::Open || s.retired.load(Ordering::Acquire) {
            return None;
        }
        let may_take = s.ready.load(Ordering::Acquire) || (early && s.early.load(Ordering::Acquire));
        if !may_take {
            return None;
        }
        if self.exhausted() {
            return None;
        }
        let max = s.max.load(Ordering::Acquire);
        let mut active = s.active.load(Ordering::Acquire);
        loop {
            if active >= max {
                return None;
            }
            match s.active.compare_exchange_weak(active, active + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(s.opened.fetch_add(1, Ordering::AcqRel) > 0),
                Err(now) => active = now,
            }
        }
    }

    /// True once the connection will never take a stream again.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.state.load() == ConnectionState::Closed
    }

    /// True while it is open and its server's SETTINGS have not arrived: it
    /// will take streams once they do.
    pub(crate) fn awaiting_preface(&self) -> bool {
        self.shared.state.load() == ConnectionState::Open && !self.shared.ready.load(Ordering::Acquire)
    }

    /// True while it takes new streams.
    pub(crate) fn is_open(&self) -> bool {
        self.shared.state.load() == ConnectionState::Open
            && !self.exhausted()
            && !self.shared.retired.load(Ordering::Acquire)
    }

    /// Records the address it is connected to and when it is due for
    /// rotation (`spread.rs`).
    pub(crate) fn set_peer(&self, peer: Option<SocketAddr>, retire_at: Option<Instant>) {
        let _ = self.shared.peer.set((peer, retire_at));
    }

    /// The address it is connected to, when known.
    pub(crate) fn peer(&self) -> Option<SocketAddr> {
        self.shared.peer.get().and_then(|(peer, _)| *peer)
    }

    /// Streams reserved or open on it.
    pub(crate) fn active(&self) -> usize {
        self.shared.active.load(Ordering::Acquire)
    }

    /// Whether it is past its client-side maximum age at `now`.
    pub(crate) fn aged(&self, now: Instant) -> bool {
        self.shared.peer.get().and_then(|(_, at)| *at).is_some_and(|at| at <= now)
    }

    /// Rotates it out (make-before-break, `spread.rs`): no new streams;
    /// GOAWAY(NO_ERROR), and the streams it carries finish (RFC 9113 §6.8).
    pub(crate) fn retire(&self) {
        if !self.shared.retired.swap(true, Ordering::AcqRel) {
            tracing::debug!(connection = self.id, "connection past its maximum age: rotated");
            let drain = Instant::now() + std::time::Duration::from_secs(365 * 24 * 3600);
            let _ = self.tx.send(Cmd::Shutdown(drain));
            self.shared.origin.notify.notify_waiters();
        }
    }

    /// Streams it may still open before the origin's learned limit per
    /// connection (`None` while no limit is known).
    fn remaining(&self) -> Option<u64> {
        let limit = self.shared.origin.budget.limit()?;
        Some(limit.saturating_sub(self.shared.opened.load(Ordering::Acquire)))
    }

    /// It will reach the origin's streams-per-connection limit within one
    /// round of concurrent streams (or half the limit, if that is less):
    /// time to open its successor, so that it is ready when this one stops.
    pub(crate) fn near_limit(&self) -> bool {
        let (Some(limit), Some(remaining)) = (self.shared.origin.budget.limit(), self.remaining()) else {
            return false;
        };
        let round = self.shared.max.load(Ordering::Acquire) as u64;
        remaining <= round.min(limit / 2)
    }

    /// It opened as many streams as the origin lets one connection carry:
    /// it gets no more, and the pool counts it as draining.
    fn exhausted(&self) -> bool {
        self.remaining() == Some(0)
    }

    /// Lets requests that may go early take streams before the server's
    /// SETTINGS.
    pub(crate) fn allow_early(&self) {
        self.shared.early.store(true, Ordering::Release);
    }

    /// Waits for the server's SETTINGS.
    ///
    /// # Errors
    /// How the connection ended, when it ends before it could take a
    /// stream.
    pub(crate) async fn ready(&self) -> Result<(), NotReady> {
        loop {
            let notified = self.shared.origin.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_closed() {
                return Err(NotReady {
                    cause: self.shared.closed_by.lock().ok().and_then(|c| c.clone()),
                    after_settings: self.shared.ready.load(Ordering::Acquire),
                    served: self.shared.served.load(Ordering::Acquire),
                });
            }
            if self.shared.ready.load(Ordering::Acquire) {
                return Ok(());
            }
            notified.await;
        }
    }

    /// Tells the driver the client is shutting down: GOAWAY(NO_ERROR) now,
    /// streams in flight may finish until `deadline`, then the connection
    /// closes (RFC 9113 §6.8).
    pub(crate) fn shutdown(&self, deadline: Instant) {
        let _ = self.tx.send(Cmd::Shutdown(deadline));
    }

    /// Sends a request on a reserved slot. If the driver is gone the request
    /// fails as never sent.
    ///
    /// The caller keeps the returned [`Waiting`] while it waits for the
    /// outcome: if it stops waiting (a timeout, or its future dropped), the
    /// driver is told to reset the abandoned stream at once.
    pub(crate) fn send(self, req: Box<AttemptRequest>) -> Waiting {
        if let Err(mpsc::error::SendError(Cmd::Request(req))) = self.tx.send(Cmd::Request(req)) {
            self.shared.unreserve();
            let why = match self.shared.closed_by.lock().ok().and_then(|c| c.clone()) {
                Some(cause) => format!("connection closed: {cause}"),
                None => "connection closed".to_owned(),
            };
            let mut attempt = req.attempt;
            attempt.error = Some(why.clone());
            let failure = AttemptFailure::new(attempt, Cause::Rejected(why), Processing::NotSent, false);
            let _ = req.respond.send(Outcome::Failed(Box::new(failure)));
        }
        Waiting { handle: self, armed: true }
    }
}

/// A connection that ended before it could take a stream.
#[derive(Debug)]
pub(crate) struct NotReady {
    /// How it ended (`None` when the driver stopped without saying).
    pub(crate) cause: Option<CloseCause>,
    /// Whether the server's SETTINGS had arrived: the server broke the
    /// connection right after its preface, not before.
    pub(crate) after_settings: bool,
    /// Whether the server's GOAWAY said it took streams (a last stream id
    /// above 0, RFC 9113 §6.8): requests that may go before its SETTINGS
    /// went on the connection (`settings_wait.rs`) and it served them.
    pub(crate) served: bool,
}

/// A request in flight on an HTTP/2 connection, from its caller's side.
/// Dropped before [`Waiting::answered`], it asks the driver to reap streams
/// whose callers are gone (their streams are reset with CANCEL and their
/// slots freed), instead of the driver polling every stream for that.
pub(crate) struct Waiting {
    handle: H2Handle,
    armed: bool,
}

impl Waiting {
    /// The outcome arrived: nothing to reap.
    pub(crate) fn answered(mut self) {
        self.armed = false;
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.handle.tx.send(Cmd::Reap);
        }
    }
}

/// Marks its connection closed when dropped.
pub(super) struct ClosedOnDrop(pub(super) Arc<H2Shared>);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.0.set_state(ConnectionState::Closed);
    }
}
