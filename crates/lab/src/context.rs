//! What a connection is served with: the state shared by the lab's accept
//! loop and every connection, and the facts about one connection. The
//! server (`server.rs`) makes them; the protocol handlers (`h1`, `h2`) read
//! them.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;

use crate::ledger::Ledger;
use crate::scenario::Scenario;

/// State shared by the accept loop and every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    /// What connections accepted from now on do ([`crate::Lab::set_scenario`]).
    pub(crate) scenario: RwLock<Scenario>,
    pub(crate) max_concurrent_streams: Option<u32>,
    pub(crate) ledger: Ledger,
    /// Requests received server-wide (for `nginx-reload`).
    pub(crate) requests: AtomicU64,
    /// Bumped on each reload; connections drain when it changes.
    pub(crate) reload: watch::Sender<u64>,
}

impl Shared {
    /// The scenario new connections get.
    pub(crate) fn scenario(&self) -> Scenario {
        *self.scenario.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a request server-wide and fires a reload when the scenario
    /// says so.
    pub(crate) fn count_request(&self) {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if let Scenario::NginxReload { after } = self.scenario()
            && after > 0
            && n == u64::from(after)
        {
            self.reload.send_modify(|g| *g += 1);
        }
    }
}

/// Facts about one accepted connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnInfo {
    /// 1 for the first connection the lab accepted, and so on.
    pub(crate) ordinal: u64,
    /// The scenario it was accepted under: it keeps it for its life.
    pub(crate) scenario: Scenario,
}
