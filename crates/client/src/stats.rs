//! Client-wide counters (DESIGN.md §5 `client.stats()`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::journal::{Processing, RetryReason};

/// A snapshot of what the client has done, from [`Client::stats`](crate::Client::stats).
/// The counters only grow; compare two snapshots for rates.
///
/// ```
/// let client = baton::Client::new();
/// let stats = client.stats();
/// assert_eq!(stats, baton::Stats::default()); // nothing sent yet
/// let graceful = stats.go_aways.get(&0).copied().unwrap_or(0); // NO_ERROR is code 0
/// let failed: u64 = stats.failures.values().sum();
/// assert_eq!((graceful, failed, stats.requests), (0, 0, 0));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
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
    /// Retries made, by reason: the keys are [`RetryReason`]'s text.
    pub retries: BTreeMap<String, u64>,
    /// Requests that failed, by verdict: the keys are [`Processing`]'s text,
    /// or `"no connection"` for failures without one.
    pub failures: BTreeMap<String, u64>,
    /// Redirects followed (each hop of a chain once; not retries).
    #[cfg_attr(feature = "serde", serde(default))]
    pub redirects: u64,
}

impl Stats {
    /// All GOAWAYs, whatever their code.
    ///
    /// ```
    /// let before = baton::Client::new().stats();
    /// assert_eq!(before.go_aways_total(), 0);
    /// let mut after = before.clone();
    /// after.go_aways.insert(0, 3); // three NO_ERROR rotations
    /// after.go_aways.insert(0xb, 1); // one ENHANCE_YOUR_CALM
    /// assert_eq!(after.go_aways_total() - before.go_aways_total(), 4);
    /// ```
    pub fn go_aways_total(&self) -> u64 {
        self.go_aways.values().sum()
    }

    /// All retries, whatever their reason.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// client.get("https://example.com/").send().await?;
    /// let stats = client.stats();
    /// let overhead = stats.retries_total() as f64 / stats.requests as f64;
    /// println!("retries added {:.1}% to the request rate", overhead * 100.0);
    /// # Ok(()) }
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
    redirects: AtomicU64,
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

    pub(crate) fn redirect(&self) {
        self.redirects.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn refused(&self) {
        self.streams_refused.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn go_away(&self, code: baton_proto::h2::Reason) {
        if let Ok(mut m) = self.maps.lock() {
            *m.go_aways.entry(code.code()).or_insert(0) += 1;
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
            redirects: self.redirects.load(Ordering::Relaxed),
        }
    }
}
