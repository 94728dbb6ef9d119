//! The numbers of the final report, computed once so that the text and the
//! JSON always say the same thing.

use std::time::Duration;

use baton_proto::h2::frame::Reason;
use serde::Serialize;

use super::tally::{LatencyHistogram, Tally};

/// Latency of successful requests, in microseconds.
#[derive(Serialize)]
pub(super) struct Latency {
    pub(super) min: u64,
    pub(super) mean: u64,
    pub(super) p50: u64,
    pub(super) p90: u64,
    pub(super) p99: u64,
    #[serde(rename = "p99_9")]
    pub(super) p999: u64,
    pub(super) max: u64,
}

/// One bar of the latency histogram: requests that took at most `upto`
/// microseconds and more than the previous bucket's bound.
#[derive(Serialize)]
pub(super) struct Bucket {
    #[serde(rename = "upto_us")]
    pub(super) upto: u64,
    pub(super) count: u64,
}

#[derive(Serialize)]
pub(super) struct Failure {
    /// The `Processing` verdict, or "no verdict".
    pub(super) verdict: String,
    pub(super) kind: &'static str,
    pub(super) count: u64,
    pub(super) example: String,
}

#[derive(Serialize)]
pub(super) struct GoAways {
    pub(super) code: u32,
    pub(super) name: String,
    pub(super) count: u64,
}

pub(super) struct Summary {
    pub(super) url: String,
    pub(super) seconds: f64,
    /// Requests finished: succeeded + failed.
    pub(super) requests: u64,
    pub(super) succeeded: u64,
    pub(super) failed: u64,
    /// Cut off by the end of `--duration` (neither succeeded nor failed).
    pub(super) aborted: u64,
    /// Open-loop starts later than scheduled (all `-c` workers were busy).
    pub(super) late: u64,
    pub(super) req_per_s: f64,
    pub(super) bytes: u64,
    pub(super) bytes_per_s: f64,
    pub(super) latency: Option<Latency>,
    pub(super) histogram: Vec<Bucket>,
    /// Nonzero status classes ("2xx" ...).
    pub(super) statuses: Vec<(&'static str, u64)>,
    /// Nonzero protocol versions.
    pub(super) versions: Vec<(&'static str, u64)>,
    /// Largest group first.
    pub(super) failures: Vec<Failure>,
    pub(super) go_aways: Vec<GoAways>,
    pub(super) go_aways_total: u64,
    /// By reason, as the client's stats name them.
    pub(super) retries: Vec<(String, u64)>,
    pub(super) retries_total: u64,
    pub(super) connections: u64,
    pub(super) interrupted: bool,
}

/// In the order of `Tally::statuses` rotated by one: the odd codes last.
const STATUS_CLASSES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];
const VERSIONS: [&str; 3] = ["HTTP/1.1", "HTTP/2", "other"];

impl Summary {
    pub(super) fn new(
        url: &str,
        t: &Tally,
        elapsed: Duration,
        stats: &baton::Stats,
        interrupted: bool,
    ) -> Self {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let failed = t.failed();
        let requests = t.succeeded + failed;
        let mut failures: Vec<Failure> = t
            .failures
            .iter()
            .map(|g| Failure {
                verdict: g.processing.map_or_else(|| "no verdict".to_owned(), |p| p.to_string()),
                kind: g.kind,
                count: g.count,
                example: g.example.clone(),
            })
            .collect();
        failures.sort_by_key(|f| std::cmp::Reverse(f.count));
        let nonzero = |names: &[&'static str], counts: &[u64]| -> Vec<(&'static str, u64)> {
            names.iter().zip(counts).filter(|(_, n)| **n > 0).map(|(s, n)| (*s, *n)).collect()
        };
        let h = t.latencies.lock();
        Self {
            url: url.to_owned(),
            seconds,
            requests,
            succeeded: t.succeeded,
            failed,
            aborted: t.aborted,
            late: t.late,
            req_per_s: requests as f64 / seconds,
            bytes: t.bytes,
            bytes_per_s: t.bytes as f64 / seconds,
            latency: latency(&h),
            histogram: histogram(&h),
            statuses: nonzero(&STATUS_CLASSES, &[&t.statuses[1..], &t.statuses[..1]].concat()),
            versions: nonzero(&VERSIONS, &t.versions),
            failures,
            go_aways: stats
                .go_aways
                .iter()
                .map(|(&code, &count)| GoAways { code, name: Reason::new(code).to_string(), count })
                .collect(),
            go_aways_total: stats.go_aways_total(),
            retries: stats.retries.iter().map(|(r, n)| (r.clone(), *n)).collect(),
            retries_total: stats.retries_total(),
            connections: stats.connections_opened,
            interrupted,
        }
    }
}

fn latency(h: &LatencyHistogram) -> Option<Latency> {
    (!h.is_empty()).then(|| Latency {
        min: h.min(),
        mean: h.mean().round() as u64,
        p50: h.value_at_quantile(0.5),
        p90: h.value_at_quantile(0.9),
        p99: h.value_at_quantile(0.99),
        p999: h.value_at_quantile(0.999),
        max: h.max(),
    })
}

/// Ten equal buckets from the fastest request to the p99.9; the last one
/// also holds the slowest 0.1 % and ends at the maximum.
fn histogram(h: &LatencyHistogram) -> Vec<Bucket> {
    const BUCKETS: u64 = 10;
    if h.is_empty() {
        return Vec::new();
    }
    let lo = h.min();
    let max = h.max();
    // At least one unit per bucket, so the bounds strictly increase.
    let hi = h.value_at_quantile(0.999).max(lo + BUCKETS);
    // Bounds lo + (hi - lo)·i/10 never pass hi (≤ max unless every request
    // took within 10 µs of the fastest); the last bound is the maximum.
    let mut uppers: Vec<u64> = (1..BUCKETS).map(|i| lo + (hi - lo) * i / BUCKETS).collect();
    let before_last = uppers.last().copied().unwrap_or(lo);
    uppers.push(max.max(before_last + 1));
    let mut buckets: Vec<Bucket> = uppers.iter().map(|&upto| Bucket { upto, count: 0 }).collect();
    for v in h.iter_recorded() {
        // The first bucket whose bound is at least the value; past the
        // last-but-one bound is the last bucket.
        let i = uppers.partition_point(|&u| u < v.value_iterated_to()).min(buckets.len() - 1);
        buckets[i].count += u64::from(v.count_at_value());
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_hold_every_request_once() {
        let mut h = LatencyHistogram::new(3).unwrap();
        for v in 1..=1000 {
            h.record(v * 10).unwrap();
        }
        h.record(1_000_000).unwrap();
        let buckets = histogram(&h);
        assert_eq!(buckets.len(), 10);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 1001);
        assert_eq!(buckets[9].upto, h.max());
        assert!(buckets.windows(2).all(|w| w[0].upto < w[1].upto));
    }

    #[test]
    fn the_last_bound_is_the_maximum_when_the_range_does_not_divide_by_ten() {
        // Equal steps of ceil(11/10) = 2 would end the last bucket at 120.
        let mut h = LatencyHistogram::new(3).unwrap();
        for v in 100..=111 {
            h.record(v).unwrap();
        }
        let buckets = histogram(&h);
        assert_eq!(buckets.len(), 10);
        assert_eq!(buckets[9].upto, 111);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 12);
        assert!(buckets.windows(2).all(|w| w[0].upto < w[1].upto));
    }

    #[test]
    fn one_value_makes_one_bar() {
        let mut h = LatencyHistogram::new(3).unwrap();
        h.record_n(500, 7).unwrap();
        let buckets = histogram(&h);
        assert_eq!(buckets[0].count, 7);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 7);
    }
}
