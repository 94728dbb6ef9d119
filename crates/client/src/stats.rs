//! Client-wide counters (DESIGN.md §5 `client.stats()`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::journal::{Processing, RetryReason};

/// A snapshot of what the client has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests started (not attempts).
    pub requests: u64,
    /// Requests that got a response head.
    pub responses: u64,
    /// Connections opened.
    pub connections_opened: u64,
    /// GOAWAY frames received, by error code.
    pub go_aways: BTreeMap<u32, u64>,
    /// Streams the server refused (REFUSED_STREAM).
    pub streams_refused: u64,
    /// Retries made, by reason.
    pub retries: BTreeMap<String, u64>,
    /// Requests that failed, by verdict.
    pub failures: BTreeMap<String, u64>,
}

impl Stats {
    /// All GOAWAYs, whatever their code.
    ///
    /// ```
    /// let stats = baton::Stats::default();
    /// assert_eq!(stats.go_aways_total(), 0);
    /// ```
    pub fn go_aways_total(&self) -> u64 {
        self.go_aways.values().sum()
    }

    /// All retries, whatever their reason.
    ///
    /// ```
    /// let stats = baton::Stats::default();
    /// assert_eq!(stats.retries_total(), 0);
    /// ```
    pub fn retries_total(&self) -> u64 {
        self.retries.values().sum()
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    responses: AtomicU64,
    connections_opened: AtomicU64,
    streams_refused: AtomicU64,
    maps: Mutex<Maps>,
}

#[derive(Debug, Default)]
struct Maps {
    go_aways: BTreeMap<u32, u64>,
    retries: BTreeMap<String, u64>,
    failures: BTreeMap<String, u64>,
}

impl Counters {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn response(&self) {
        self.responses.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connection_opened(&self) {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self) {
        self.streams_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn go_away(&self, code: u32) {
        if let Ok(mut m) = self.maps.lock() {
            *m.go_aways.entry(code).or_insert(0) += 1;
        }
    }

    pub(crate) fn retry(&self, reason: RetryReason) {
        if let Ok(mut m) = self.maps.lock() {
            *m.retries.entry(reason.to_string()).or_insert(0) += 1;
        }
    }

    pub(crate) fn failure(&self, processing: Option<Processing>) {
        let key = processing.map_or_else(|| "no connection".to_owned(), |p| p.to_string());
        if let Ok(mut m) = self.maps.lock() {
            *m.failures.entry(key).or_insert(0) += 1;
        }
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let maps = self.maps.lock().map(|m| (m.go_aways.clone(), m.retries.clone(), m.failures.clone()));
        let (go_aways, retries, failures) = maps.unwrap_or_default();
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            responses: self.responses.load(Ordering::Relaxed),
            connections_opened: self.connections_opened.load(Ordering::Relaxed),
            go_aways,
            streams_refused: self.streams_refused.load(Ordering::Relaxed),
            retries,
            failures,
        }
    }
}
