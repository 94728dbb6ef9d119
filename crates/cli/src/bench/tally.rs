//! What one worker saw, kept without locks or per-request allocation and
//! merged into one at the end.

use baton::{Error, Processing};
use hdrhistogram::{Counter, Histogram};
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
/// then is a cache miss each time, while a batch's misses overlap.
const BATCH: usize = 128;

/// A worker's tally counts latencies in `u32` (half the cache footprint of
/// the histogram); the merged total in `u64`.
pub(super) struct Tally<C: Counter = u32> {
    /// Each successful request's latency in microseconds, from the start of
    /// the request to the end of its response body (see also `pending`).
    pub(super) latency: Histogram<C>,
    /// Latencies not yet in `latency`.
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

impl<C: Counter> Tally<C> {
    pub(super) fn new() -> Self {
        Self {
            // Auto-resizing from 1 µs at 3 significant digits: a few
            // kilobytes per worker for ordinary latencies. It cannot fail.
            latency: Histogram::new(3).expect("3 significant digits are valid"),
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

    fn flush(&mut self) {
        for &micros in &self.pending {
            // Auto-resizing: recording can only fail past u64::MAX / 2 µs.
            let _ = self.latency.record(micros);
        }
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
}

impl Tally<u64> {
    pub(super) fn merge(&mut self, other: &Tally) {
        self.pending.extend_from_slice(&other.pending);
        self.flush();
        for v in other.latency.iter_recorded() {
            // Same precision, resizing itself: this cannot go out of range.
            let _ = self.latency.record_n(v.value_iterated_to(), u64::from(v.count_at_value()));
        }
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

    #[test]
    fn latencies_of_any_size_survive_the_merge() {
        let mut worker = Tally::new();
        for micros in [150, 2_500, 40_000, 90_000_000] {
            worker.success(micros, StatusCode::OK, Version::HTTP_2, 100);
        }
        worker.success(700, StatusCode::SERVICE_UNAVAILABLE, Version::HTTP_11, 0);
        let mut total = Tally::<u64>::new();
        total.merge(&worker);
        total.merge(&worker);
        assert_eq!(total.latency.len(), 10);
        assert_eq!(total.latency.min(), 150);
        // Three significant digits.
        assert!(total.latency.max().abs_diff(90_000_000) < 90_000, "{}", total.latency.max());
        assert_eq!((total.succeeded, total.bytes), (10, 800));
        assert_eq!(total.statuses, [0, 0, 8, 0, 0, 2]);
        assert_eq!(total.versions, [2, 8, 0]);
    }

    #[test]
    fn batched_latencies_all_count() {
        let mut worker = Tally::new();
        for micros in 1..=1000 {
            worker.success(micros, StatusCode::OK, Version::HTTP_2, 0);
        }
        let mut total = Tally::<u64>::new();
        total.merge(&worker);
        assert_eq!(total.latency.len(), 1000);
        assert_eq!((total.latency.min(), total.latency.max()), (1, 1000));
    }
}
