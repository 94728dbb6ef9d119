//! Every origin the pool knows, each with its connections (HTTP/2 handles,
//! idle HTTP/1.1 connections, counts of those being opened), and the sweep
//! that forgets origins left with nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use crate::conn::h1::{H1Conn, Home};
use crate::conn::h2::H2Handle;
use crate::conn::origin::OriginShared;
use crate::origin::Origin;

/// What an origin is known to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Speaks {
    #[default]
    Unknown,
    H2,
    H1,
}

/// An origin's connections, as the pool sees them.
#[derive(Default)]
pub(super) struct OriginState {
    pub(super) speaks: Speaks,
    pub(super) h2: Vec<H2Handle>,
    /// Connections being opened.
    pub(super) connecting: usize,
    pub(super) h1_idle: Vec<H1Conn>,
    /// HTTP/1.1 connections open or being opened: busy, idle or connecting
    /// (each holds a [`Slot`] that gives its place back when dropped).
    pub(super) h1_slots: usize,
    /// The server said HTTP_1_1_REQUIRED (DESIGN.md §3 rule 5).
    pub(super) http1_required: bool,
    /// Requests waiting for room (each holds a [`WaitingGuard`]): how many
    /// HTTP/2 connections to open at once when none has room.
    pub(super) waiting: usize,
}

/// One origin: its connections, and what they learned for each other.
pub(super) struct OriginPool {
    /// What the origin's connections share and learn (`conn/origin.rs`).
    pub(super) shared: Arc<OriginShared>,
    state: Mutex<OriginState>,
    /// Where its HTTP/1.1 connections go after an exchange, made once.
    pub(super) home: Home,
}

impl OriginPool {
    /// A new origin; `home` makes its [`Home`] from a handle to it.
    pub(super) fn new(home: impl FnOnce(Weak<Self>) -> Home) -> Arc<Self> {
        Arc::new_cyclic(|me| Self {
            shared: Arc::default(),
            state: Mutex::new(OriginState::default()),
            home: home(me.clone()),
        })
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, OriginState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every origin the client has talked to, each with its connections and
/// what they learned. An origin left with nothing (no connection open,
/// idle or being opened, and no request on its way through) is forgotten
/// when the map has grown: a client that visits many hosts once (a
/// crawler) would otherwise keep an entry for each, for good.
pub(crate) struct Origins {
    pub(super) map: HashMap<Origin, Arc<OriginPool>>,
    /// The size at which the next new origin first sweeps the map.
    sweep_at: usize,
}

impl Origins {
    pub(crate) const FIRST_SWEEP: usize = 64;

    pub(super) fn new() -> Self {
        Self { map: HashMap::new(), sweep_at: Self::FIRST_SWEEP }
    }

    /// Forgets empty origins once the map has reached `sweep_at`, then sets
    /// the next sweep at twice what is left: the cost stays constant per
    /// new origin.
    pub(super) fn sweep(&mut self) {
        if self.map.len() < self.sweep_at {
            return;
        }
        self.map.retain(|_, op| {
            // Only the map holds it: no lease or connect is under way.
            if Arc::strong_count(op) > 1 {
                return true;
            }
            let closed: Vec<H1Conn> = {
                let mut st = op.lock();
                st.h2.retain(|h| !h.is_closed());
                let idle = std::mem::take(&mut st.h1_idle);
                let (open, closed) = idle.into_iter().partition(H1Conn::is_open);
                st.h1_idle = open;
                closed
            };
            // Outside the lock: each gives its place back, which takes it.
            drop(closed);
            let st = op.lock();
            !(st.h2.is_empty() && st.h1_idle.is_empty() && st.h1_slots == 0 && st.connecting == 0)
        });
        self.sweep_at = (self.map.len() * 2).max(Self::FIRST_SWEEP);
    }
}

/// Holds one of an origin's `connecting` slots.
pub(super) struct ConnectingGuard(pub(super) Arc<OriginPool>);

impl Drop for ConnectingGuard {
    fn drop(&mut self) {
        self.0.lock().connecting -= 1;
        self.0.shared.notify.notify_waiters();
    }
}

/// Counts one request among its origin's `waiting` while it lives: from the
/// request's first wait for room until its lease returns or is dropped.
pub(super) struct WaitingGuard(Arc<OriginPool>);

impl WaitingGuard {
    pub(super) fn new(op: &Arc<OriginPool>) -> Self {
        op.lock().waiting += 1;
        Self(op.clone())
    }
}

impl Drop for WaitingGuard {
    fn drop(&mut self) {
        self.0.lock().waiting -= 1;
    }
}
