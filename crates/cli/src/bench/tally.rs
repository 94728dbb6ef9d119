//! What one worker saw, kept without per-request allocation or locking and
//! merged into one at the end; latencies go, in batches, to one histogram
//! that all workers share.

use std::sync::{Arc, Mutex, MutexGuard};

use baton::{Error, Processing};
use hdrhistogram::Histogram;
use http::{StatusCode, Version};

/// Failures sharing a verdict and a kind.
pub(super) struct FailureGroup {
    pub(super) processing: Option<Processing>,
    pub(super) kind: &'static str,
    pub(super) count: u64,
    /// The first error's message, as an example.
    pub(super) example: String,
}

/// Latencies wait in a small buffer and enter the histogram in batches: a
/// histogram's counters are spread over kilobytes, and one recorded now and
/// then is a cache miss each time, while a batch's misses overlap. The lock
/// is taken once a batch.
const BATCH: usize = 128;

/// The latency histogram's type. 32-bit counters hold half the memory of
/// 64-bit ones (48 KiB rather than 96 KiB for a run up to about 65 ms); a
/// counter saturates at 4.29 billion requests of one latency, more than a
/// run at 100,000 requests a second makes in ten hours.
pub(super) type LatencyHistogram = Histogram<u32>;

/// Each successful request's latency in microseconds, from the start of the
/// request to the end of its response body: one histogram for the run. (One
/// per worker cost 20 KiB or more each, 2.7 MiB at peak for `-c 64`, and 64
/// histograms' worth of cache.)
pub(super) struct Latencies(Mutex<LatencyHistogram>);

impl Latencies {
    pub(super) fn new() -> Arc<Self> {
        // Auto-resizing from 1 µs at 3 significant digits. It cannot fail.
        Arc::new(Self(Mutex::new(Histogram::new(3).expect("3 significant digits are valid"))))
    }

    fn record(&self, batch: &[u64]) {
        let mut h = self.lock();
        for &micros in batch {
            // Auto-resizing: recording can only fail past u64::MAX / 2 µs.
            let _ = h.record(micros);
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, LatencyHistogram> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) struct Tally {
    pub(super) latencies: Arc<Latencies>,
    /// Latencies not yet in `latencies`.
    pending: Vec<u64>,
    pub(super) succeeded: u64,
    /// Response body bytes of successful requests.
    pub(super) bytes: u64,
    /// Responses by status class: index 1 is 1xx ... 5 is 5xx, 0 the rest.
    pub(super) statuses: [u64; 6],
    /// Responses over HTTP/1.1, HTTP/2, and anything else.
    pub(super) versions: [u64; 3],
    pub(super) failures: Vec<FailureGroup>,
    /// Requests cut off by the end of `--duration`.
    pub(super) aborted: u64,
    /// Open-loop starts that slipped behind the schedule.
    pub(super) late: u64,
    /// A request is under way (for counting what the deadline aborts).
    pub(super) in_flight: bool,
}

impl Tally {
    pub(super) fn new(latencies: Arc<Latencies>) -> Self {
        Self {
            latencies,
            pending: Vec::with_capacity(BATCH),
            succeeded: 0,
            bytes: 0,
            statuses: [0; 6],
            versions: [0; 3],
            failures: Vec::new(),
            aborted: 0,
            late: 0,
            in_flight: false,
        }
    }

    pub(super) fn success(&mut self, micros: u64, status: StatusCode, version: Version, bytes: u64) {
        self.pending.push(micros);
        if self.pending.len() == BATCH {
            self.flush();
        }
        self.succeeded += 1;
        self.bytes += bytes;
        let class = usize::from(status.as_u16() / 100);
        self.statuses[if class < 6 { class } else { 0 }] += 1;
        self.versions[match version {
            Version::HTTP_11 => 0,
            Version::HTTP_2 => 1,
            _ => 2,
        }] += 1;
    }

    /// Moves the pending latencies into the shared histogram.
    fn flush(&mut self) {
        self.latencies.record(&self.pending);
        self.pending.clear();
    }

    pub(super) fn failure(&mut self, e: &Error) {
        let (processing, kind) = (e.processing(), kind(e));
        match self.failures.iter_mut().find(|g| g.processing == processing && g.kind == kind) {
            Some(g) => g.count += 1,
            None => self.failures.push(FailureGroup { processing, kind, count: 1, example: e.to_string() }),
        }
    }

    pub(super) fn failed(&self) -> u64 {
        self.failures.iter().map(|g| g.count).sum()
    }

    /// Adds a worker's counts; its latencies go to its histogram.
    pub(super) fn merge(&mut self, mut other: Self) {
        other.flush();
        self.succeeded += other.succeeded;
        self.bytes += other.bytes;
        for (a, b) in self.statuses.iter_mut().zip(other.statuses) {
            *a += b;
        }
        for (a, b) in self.versions.iter_mut().zip(other.versions) {
            *a += b;
        }
        for g in &other.failures {
            match self.failures.iter_mut().find(|f| f.processing == g.processing && f.kind == g.kind) {
                Some(f) => f.count += g.count,
                None => self.failures.push(FailureGroup { example: g.example.clone(), ..*g }),
            }
        }
        self.aborted += other.aborted;
        self.late += other.late;
    }
}

/// A short name for what went wrong.
fn kind(e: &Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_retries_exhausted() {
        "retries exhausted"
    } else if e.is_going_away() {
        "GOAWAY"
    } else if e.is_body() {
        "request body"
    } else if e.is_decode() {
        "response"
    } else {
        "other"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(latencies: &Arc<Latencies>) -> Tally {
        let mut worker = Tally::new(latencies.clone());
        for micros in [150, 2_500, 40_000, 90_000_000] {
            worker.success(micros, StatusCode::OK, Version::HTTP_2, 100);
        }
        worker.success(700, StatusCode::SERVICE_UNAVAILABLE, Version::HTTP_11, 0);
        worker
    }

    #[test]
    fn latencies_of_any_size_survive_the_merge() {
        let latencies = Latencies::new();
        let mut total = Tally::new(latencies.clone());
        total.merge(worker(&latencies));
        total.merge(worker(&latencies));
        let h = latencies.lock();
        assert_eq!(h.len(), 10);
        assert_eq!(h.min(), 150);
        // Three significant digits.
        assert!(h.max().abs_diff(90_000_000) < 90_000, "{}", h.max());
        assert_eq!((total.succeeded, total.bytes), (10, 800));
        assert_eq!(total.statuses, [0, 0, 8, 0, 0, 2]);
        assert_eq!(total.versions, [2, 8, 0]);
    }

    #[test]
    fn batched_latencies_all_count() {
        let latencies = Latencies::new();
        let mut worker = Tally::new(latencies.clone());
        for micros in 1..=1000 {
            worker.success(micros, StatusCode::OK, Version::HTTP_2, 0);
        }
        // Seven full batches are in already; the rest waits for the merge.
        assert_eq!(latencies.lock().len(), 7 * BATCH as u64);
        let mut total = Tally::new(latencies.clone());
        total.merge(worker);
        let h = latencies.lock();
        assert_eq!(h.len(), 1000);
        assert_eq!((h.min(), h.max()), (1, 1000));
    }
}
