//! The connection pool (DESIGN.md §4): per origin, HTTP/2 connections
//! multiplexed up to the server's SETTINGS_MAX_CONCURRENT_STREAMS, more
//! connections when all are full, draining connections never given new
//! streams, a replacement opened as soon as one starts draining; and an
//! HTTP/1.1 keep-alive pool whose sockets are watched for EOF while idle.

mod dial;
mod leasing;
mod origins;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use baton_proto::h2 as proto;

use crate::conn::h1::{H1Conn, Home, Slot};
use crate::conn::h2::H2Handle;
use crate::conn::shutdown::Shutdown;
use crate::connect::Connector;
use crate::error::{Error, Kind};
use crate::origin::Origin;
use crate::settings_wait::SettingsWait;
use crate::spread::Spread;
use crate::stats::Counters;
use crate::timeouts::{TimeoutKind, Timeouts};
use dial::{Dial, Opened};
pub(crate) use leasing::Leasing;
pub(crate) use origins::Origins;
use origins::{ConnectingGuard, OriginPool, OriginState, Speaks, WaitingGuard};

/// Idle HTTP/1.1 connections kept per origin.
const MAX_IDLE_H1: usize = 128;

/// A connection the pool could not set up, with the id it was given and
/// the protocol it was being set up for, for the attempt's journal entry.
pub(crate) struct LeaseError {
    pub(crate) error: Error,
    pub(crate) connection_id: u64,
    /// HTTP/1.1 when nothing else was possible (forced, or plain `http`
    /// without prior knowledge); HTTP/2 for h2c, and for TLS that offered
    /// `h2` by ALPN (whatever the server would have chosen).
    pub(crate) version: http::Version,
}

/// A connection (or a stream slot on one) reserved for one attempt.
pub(crate) enum Lease {
    H2 { handle: H2Handle, reused: bool },
    H1 { conn: H1Conn, reused: bool, home: Home },
}

pub(crate) struct Pool {
    origins: Mutex<Origins>,
    connector: Connector,
    h2_config: proto::Config,
    max_per_origin: usize,
    /// HTTP/1.1 connections per origin, at most.
    max_h1: usize,
    idle_timeout: Duration,
    /// When new HTTP/2 connections take their first requests.
    settings_wait: SettingsWait,
    next_id: AtomicU64,
    stats: Arc<Counters>,
    /// The client's shutdown: its deadline once begun, and the connection
    /// tasks still running.
    shutdown: Arc<Shutdown>,
    /// How HTTP/2 streams are spread over connections and addresses.
    spread: Spread,
}

enum Next {
    Lease(Lease),
    /// A lease on a connection near its streams-per-connection limit: its
    /// successor is opened in the background (make-before-break).
    LeaseAndOpenSuccessor(Lease),
    /// A new connection; `force_h1` asks for an HTTP/1.1 one, for which a
    /// place in the origin's count was taken.
    Connect {
        force_h1: bool,
    },
    Wait,
}

/// A request's first look for room, when it found none at once: what
/// [`Pool::wait_for_room`] goes on from.
struct Look {
    op: Arc<OriginPool>,
    fresh: bool,
    early: bool,
    /// When `limits.pool` runs out, counted from the first look.
    pool_deadline: Option<tokio::time::Instant>,
    /// What the first look said to do, unless it was to wait.
    first: Option<Next>,
}

impl Pool {
    pub(crate) fn new(
        connector: Connector,
        h2_config: proto::Config,
        max_per_origin: usize,
        max_h1: usize,
        idle_timeout: Duration,
        settings_wait: SettingsWait,
        stats: Arc<Counters>,
    ) -> Self {
        Self {
            origins: Mutex::new(Origins::new()),
            connector,
            h2_config,
            max_per_origin: max_per_origin.max(1),
            max_h1: max_h1.max(1),
            idle_timeout,
            settings_wait,
            next_id: AtomicU64::new(1),
            stats,
            shutdown: Arc::default(),
            spread: Spread::off(),
        }
    }

    /// Spreads HTTP/2 streams as `spread` says (`spread.rs`), with room for
    /// its connections under the per-origin limit.
    pub(crate) fn with_spread(mut self, spread: Spread) -> Self {
        self.max_per_origin = self.max_per_origin.max(spread.connection_count());
        self.spread = spread;
        self
    }

    /// Begins the client's shutdown: no new lease or connection from now
    /// on; every HTTP/2 connection says GOAWAY(NO_ERROR) and lets its
    /// streams run until `deadline`; idle HTTP/1.1 connections close now
    /// (busy ones when their exchange ends). Then waits, until `deadline`
    /// and one last flush, for every connection task to have closed its
    /// socket. Returns whether they all did.
    pub(crate) async fn shutdown(&self, deadline: tokio::time::Instant) -> bool {
        let deadline = self.shutdown.begin(deadline.into_std());
        let origins: Vec<Arc<OriginPool>> =
            self.origins.lock().unwrap_or_else(|e| e.into_inner()).map.values().cloned().collect();
        for op in origins {
            let idle = {
                let mut st = op.lock();
                for handle in &st.h2 {
                    handle.shutdown(deadline);
                }
                std::mem::take(&mut st.h1_idle)
            };
            // Outside the lock: each gives its place back, which takes it.
            drop(idle);
            op.shared.notify.notify_waiters();
        }
        let until = tokio::time::Instant::from_std(deadline) + crate::conn::FINAL_FLUSH;
        tokio::time::timeout_at(until, self.shutdown.all_ended()).await.is_ok()
    }

    fn origin(&self, origin: &Origin) -> Arc<OriginPool> {
        let mut origins = self.origins.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(op) = origins.map.get(origin) {
            return op.clone();
        }
        origins.sweep();
        let shutdown = self.shutdown.clone();
        let op = OriginPool::new(|me| Self::home(me, shutdown));
        origins.map.insert(origin.clone(), op.clone());
        op
    }

    /// Origins with an entry in the pool.
    #[cfg(test)]
    pub(crate) fn origin_count(&self) -> usize {
        self.origins.lock().unwrap_or_else(|e| e.into_inner()).map.len()
    }

    /// Remembers that `origin` wants HTTP/1.1.
    /// Why the server refused connection `id` to `origin` with a TLS alert
    /// after the handshake, if it did (`tls_io.rs`).
    pub(crate) fn tls_rejection(&self, origin: &Origin, id: u64) -> Option<String> {
        self.origin(origin).shared.tls_rejection(id)
    }

    pub(crate) fn require_http1(&self, origin: &Origin) {
        self.origin(origin).lock().http1_required = true;
    }

    /// Reserves a connection or stream slot for `origin`. A retry passes
    /// `fresh`: it never gets a pooled HTTP/1.1 connection, which may be the
    /// next one the server is about to close (the S18 race, again).
    ///
    /// `limits.pool` bounds the waits for room (the whole of them, from
    /// here), `limits.connect` a connection this request opens itself.
    /// `safe`: the request is idempotent with an in-memory body, so it may
    /// go on an HTTP/2 connection before the server's SETTINGS, as the
    /// client's [`SettingsWait`] says.
    ///
    /// Most requests find room at once: they get their lease here, without
    /// an async state of the wait's size (a request's future carries what
    /// it awaits, 552 bytes for the wait, and is copied and allocated with
    /// it). Only a request that has to wait or connect gets the boxed
    /// [`Self::wait_for_room`].
    ///
    /// # Errors
    /// A connection that could not be set up, or no room within
    /// `limits.pool`.
    pub(crate) fn lease<'a>(
        &'a self,
        origin: &'a Origin,
        fresh: bool,
        limits: &'a Timeouts,
        safe: bool,
    ) -> Leasing<'a> {
        let early = self.settings_wait.early_request(safe);
        if self.shutdown.deadline().is_some() {
            let error = Error::new(Kind::Closed, format!("the client was shut down: no request to {origin}"));
            let version = self.version_for(origin, &self.origin(origin), false);
            return Leasing::Now(std::future::ready(Err(LeaseError { error, connection_id: 0, version })));
        }
        let op = self.origin(origin);
        // Most requests find room at once: they skip registering for the
        // origin's notification (two locks of its waiter list).
        match self.next(origin, &op, fresh, early) {
            Next::Lease(lease) => Leasing::Now(std::future::ready(Ok(lease))),
            Next::LeaseAndOpenSuccessor(lease) => {
                self.open_in_background(origin, &op);
                Leasing::Now(std::future::ready(Ok(lease)))
            }
            first => {
                let pool_deadline = limits.pool.and_then(|d| tokio::time::Instant::now().checked_add(d));
                let first = Some(first).filter(|n| !matches!(n, Next::Wait));
                let look = Look { op, fresh, early, pool_deadline, first };
                Leasing::Later(Box::pin(self.wait_for_room(origin, limits, look)))
            }
        }
    }

    /// The rest of [`Self::lease`] for a request that found no room at its
    /// first look (`look.first`: what that look said to do, unless wait).
    async fn wait_for_room(
        &self,
        origin: &Origin,
        limits: &Timeouts,
        look: Look,
    ) -> Result<Lease, LeaseError> {
        let Look { op, fresh, early, pool_deadline, mut first } = look;
        // Counted among the origin's waiting requests from the first look
        // that may wait, until this returns (or is dropped).
        let mut _waiting: Option<WaitingGuard> = None;
        loop {
            let notified = op.shared.notify.notified();
            tokio::pin!(notified);
            let next = match first.take() {
                Some(next) => next,
                None => {
                    // Listening before looking, so no wake-up is missed.
                    notified.as_mut().enable();
                    _waiting.get_or_insert_with(|| WaitingGuard::new(&op));
                    self.next(origin, &op, fresh, early)
                }
            };
            match next {
                Next::Lease(lease) => return Ok(lease),
                Next::LeaseAndOpenSuccessor(lease) => {
                    self.open_in_background(origin, &op);
                    return Ok(lease);
                }
                Next::Connect { force_h1 } => {
                    // The HTTP/1.1 place taken in `next`, under the lock:
                    // from here on it is given back however this ends.
                    let slot = force_h1.then(|| Self::slot(&op));
                    // Decrements `connecting` even if this future is dropped
                    // mid-connect (a request timeout): otherwise the origin
                    // would wait forever for a connection nobody makes.
                    let guard = ConnectingGuard(op.clone());
                    // Boxed: connecting (DNS, TCP, TLS, the HTTP/2
                    // handshake) is by far the largest state of a request's
                    // future, and is needed once per connection, not per
                    // request: inline, every request's future was 3.8 KB.
                    let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                    let connecting = Box::pin(self.connect(origin, &op, force_h1, id, early));
                    let result = match limits.connect {
                        Some(limit) => tokio::time::timeout(limit, connecting).await.unwrap_or_else(|_| {
                            Err(Error::timeout(
                                TimeoutKind::Connect,
                                format!("connect to {origin} timed out after {limit:?}"),
                            ))
                        }),
                        None => connecting.await,
                    };
                    drop(guard);
                    let lease = result.map_err(|error| LeaseError {
                        error,
                        connection_id: id,
                        version: self.version_for(origin, &op, force_h1),
                    })?;
                    if let Some(mut lease) = lease {
                        if let (Lease::H1 { conn, .. }, Some(slot)) = (&mut lease, slot) {
                            conn.hold(slot);
                        }
                        return Ok(lease);
                    }
                }
                Next::Wait => match pool_deadline {
                    Some(at) => {
                        if tokio::time::timeout_at(at, notified).await.is_err() {
                            let limit = limits.pool.unwrap_or_default();
                            let error = Error::timeout(
                                TimeoutKind::Pool,
                                format!("no room on a connection to {origin} within {limit:?}"),
                            );
                            // No connection was involved: none is journaled.
                            let version = self.version_for(origin, &op, false);
                            return Err(LeaseError { error, connection_id: 0, version });
                        }
                    }
                    None => notified.await,
                },
            }
        }
    }

    fn next(&self, origin: &Origin, op: &Arc<OriginPool>, fresh: bool, early: bool) -> Next {
        // HTTP/1.1 connections closed here give their place back, which
        // takes the lock: declared before the guard, they are dropped after
        // it, once it is released. (A `Wait` is only waited on after a
        // look made while listening, so the notification is not missed.)
        let mut closed: Vec<H1Conn> = Vec::new();
        let mut st = op.lock();
        let h1 = st.http1_required
            || st.speaks == Speaks::H1
            || (!origin.tls && !self.connector.h2_prior_knowledge);
        if h1 {
            while let Some(conn) = if fresh { None } else { st.h1_idle.pop() } {
                // DESIGN.md §4: the connection's task watches the idle
                // socket; one the server closed is not reused.
                if conn.is_open() && !conn.expired(self.idle_timeout) {
                    let lease = Lease::H1 { reused: conn.reused(), conn, home: op.home.clone() };
                    return Next::Lease(lease);
                }
                if !conn.is_open() {
                    tracing::debug!(connection = conn.id, %origin, "pooled HTTP/1.1 connection was closed by the server");
                }
                closed.push(conn);
            }
            if st.h1_slots >= self.max_h1 {
                // A retry (`fresh`) may not reuse an idle connection, and
                // the idle ones may hold every place: close the oldest. Its
                // place comes back as this returns, and ends the wait.
                if !st.h1_idle.is_empty() {
                    closed.push(st.h1_idle.remove(0));
                }
                return Next::Wait;
            }
            st.h1_slots += 1;
            st.connecting += 1;
            return Next::Connect { force_h1: true };
        }
        st.h2.retain(|h| !h.is_closed());
        if !self.spread.is_off() {
            return self.next_spread(&mut st, early);
        }
        let open = st.h2.iter().filter(|h| h.is_open()).count();
        if let Some((handle, reused)) =
            st.h2.iter().find_map(|h| h.try_reserve(early).map(|r| (h.clone(), r)))
        {
            // Near the limit, and no other connection has room beyond it:
            // open the successor now, while this one's last streams run.
            let successor_needed =
                handle.near_limit() && !st.h2.iter().any(|h| h.is_open() && !h.near_limit());
            if successor_needed && st.connecting == 0 && open < self.max_per_origin {
                st.connecting += 1;
                return Next::LeaseAndOpenSuccessor(Lease::H2 { handle, reused });
            }
            return Next::Lease(Lease::H2 { handle, reused });
        }
        // Draining connections do not count, so a GOAWAY opens the
        // replacement at once (make-before-break). A request that may not go
        // before a server's SETTINGS waits for those of a connection already
        // taking early requests rather than opening another.
        let on_the_way = st.connecting + st.h2.iter().filter(|h| h.awaiting_preface()).count();
        let per_connection = op.shared.max_streams.load(Ordering::Acquire);
        if open + st.connecting < self.max_per_origin
            && Self::another_connection(&st, on_the_way, per_connection)
        {
            st.connecting += 1;
            return Next::Connect { force_h1: false };
        }
        Next::Wait
    }

    /// Whether a request that found no room on the origin's HTTP/2
    /// connections opens another, given `on_the_way` connections being
    /// opened or waiting for the server's SETTINGS, and `per_connection`,
    /// the streams the server allows on each (its last
    /// SETTINGS_MAX_CONCURRENT_STREAMS, RFC 9113 §6.5.2; 0 while unknown).
    ///
    /// With none on the way, yes. While the limit is unknown, one
    /// connection at a time: the first SETTINGS may allow every request on
    /// one connection. Once it is known, as many at once as the waiting
    /// requests (this one included) need beyond what those on the way will
    /// carry: one after the other, each a handshake's round trip, a client
    /// with thousands of requests waiting took seconds to reach its
    /// connection limit (bench/scale: 44 of 64 connections after 4 s).
    fn another_connection(st: &OriginState, on_the_way: usize, per_connection: usize) -> bool {
        on_the_way == 0
            || (per_connection > 0 && on_the_way.saturating_mul(per_connection) < st.waiting.max(1))
    }

    /// [`next`](Self::next) for HTTP/2 under a [`Spread`] policy
    /// (`spread.rs`): connections past their age retired once a younger one
    /// takes streams; the stream on the least loaded connection, younger
    /// ones first; another connection opened in the background while fewer
    /// than the policy's count are young.
    fn next_spread(&self, st: &mut OriginState, early: bool) -> Next {
        let now = std::time::Instant::now();
        let young = |h: &&H2Handle| h.is_open() && !h.aged(now) && !h.awaiting_preface();
        if st.h2.iter().any(|h| young(&h)) {
            for h in st.h2.iter().filter(|h| h.is_open() && h.aged(now)) {
                h.retire();
            }
        }
        let open = st.h2.iter().filter(|h| h.is_open()).count();
        let fresh = st.h2.iter().filter(|h| h.is_open() && !h.aged(now)).count();
        let mut candidates: Vec<&H2Handle> = st.h2.iter().filter(|h| h.is_open()).collect();
        candidates.sort_by_key(|h| (h.aged(now), h.active()));
        let lease = candidates.iter().find_map(|h| h.try_reserve(early).map(|r| ((*h).clone(), r)));
        let more = fresh < self.spread.connection_count() && st.connecting == 0 && open < self.max_per_origin;
        match lease {
            Some((handle, reused)) if more => {
                st.connecting += 1;
                Next::LeaseAndOpenSuccessor(Lease::H2 { handle, reused })
            }
            Some((handle, reused)) => Next::Lease(Lease::H2 { handle, reused }),
            None => {
                let preface_due = st.h2.iter().any(H2Handle::awaiting_preface);
                if st.connecting == 0 && open < self.max_per_origin && !preface_due {
                    st.connecting += 1;
                    Next::Connect { force_h1: false }
                } else {
                    Next::Wait
                }
            }
        }
    }

    /// The protocol a connection to `origin` is set up for (see
    /// [`LeaseError::version`]).
    fn version_for(&self, origin: &Origin, op: &OriginPool, force_h1: bool) -> http::Version {
        let h1 = force_h1
            || self.connector.http1_only
            || op.lock().http1_required
            || (!origin.tls && !self.connector.h2_prior_knowledge);
        if h1 { http::Version::HTTP_11 } else { http::Version::HTTP_2 }
    }

    /// Opens connection `id`; `None` when it turned out HTTP/2 but full.
    /// `early`: the request may take a stream before the server's SETTINGS.
    async fn connect(
        &self,
        origin: &Origin,
        op: &Arc<OriginPool>,
        force_h1: bool,
        id: u64,
        early: bool,
    ) -> Result<Option<Lease>, Error> {
        let dial = Dial {
            connector: &self.connector,
            idle_timeout: self.idle_timeout,
            h2_config: &self.h2_config,
            settings_wait: self.settings_wait,
            stats: &self.stats,
            shutdown: &self.shutdown,
            spread: self.spread,
        };
        match dial.open(origin, op, force_h1, id, early).await? {
            Opened::H1(mut conn) => {
                if !force_h1 {
                    // ALPN chose http/1.1: remember it for this origin, and
                    // count the connection (possibly past the limit: it was
                    // asked for as an HTTP/2 one).
                    let mut st = op.lock();
                    st.speaks = Speaks::H1;
                    st.h1_slots += 1;
                    drop(st);
                    conn.hold(Self::slot(op));
                }
                Ok(Some(Lease::H1 { conn, reused: false, home: op.home.clone() }))
            }
            Opened::H2(handle) => Ok(handle.try_reserve(early).map(|reused| Lease::H2 { handle, reused })),
        }
    }

    /// Opens an HTTP/2 connection to `origin` without waiting for it: the
    /// successor of one near its streams-per-connection limit. The caller
    /// took a `connecting` slot for it.
    fn open_in_background(&self, origin: &Origin, op: &Arc<OriginPool>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (connector, h2_config, stats, idle_timeout, shutdown, settings_wait) = (
            self.connector.clone(),
            self.h2_config.clone(),
            self.stats.clone(),
            self.idle_timeout,
            self.shutdown.clone(),
            self.settings_wait,
        );
        let spread = self.spread;
        let (origin, op) = (origin.clone(), op.clone());
        // Made before the spawn: a task dropped before its first poll (a
        // runtime shutting down) still gives the slot back.
        let slot = ConnectingGuard(op.clone());
        tokio::spawn(async move {
            let _slot = slot;
            let dial = Dial {
                connector: &connector,
                idle_timeout,
                h2_config: &h2_config,
                settings_wait,
                stats: &stats,
                shutdown: &shutdown,
                spread,
            };
            // Nobody waits on it: it is pooled once its SETTINGS came, or
            // at once where the policy lets requests go early.
            match dial.open(&origin, &op, false, id, false).await {
                Ok(Opened::H2(_)) => {}
                // ALPN changed its mind: nothing to pool ahead of time.
                Ok(Opened::H1(_)) => {}
                Err(e) => tracing::debug!(%origin, error = %e, "opening the next connection ahead failed"),
            }
        });
    }

    /// Where a reusable HTTP/1.1 connection goes after its exchange.
    fn home(op: Weak<OriginPool>, shutdown: Arc<Shutdown>) -> Home {
        Arc::new(move |conn| {
            if let Some(op) = op.upgrade() {
                let mut st = op.lock();
                // Once the client is shutting down, a connection whose
                // exchange just ended closes instead of idling.
                let dropped = if st.h1_idle.len() < MAX_IDLE_H1 && shutdown.deadline().is_none() {
                    st.h1_idle.push(conn);
                    None
                } else {
                    Some(conn)
                };
                drop(st);
                // Outside the lock: dropping a connection gives its place
                // back, which takes the lock.
                drop(dropped);
                op.shared.notify.notify_waiters();
            }
        })
    }

    /// The release of one of `op`'s HTTP/1.1 places (taken by the caller).
    fn slot(op: &Arc<OriginPool>) -> Slot {
        let op = Arc::downgrade(op);
        Slot::new(move || {
            if let Some(op) = op.upgrade() {
                op.lock().h1_slots -= 1;
                op.shared.notify.notify_waiters();
            }
        })
    }
}
