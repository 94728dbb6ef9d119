//! The report for machines: one JSON object on one line.
//!
//! ```text
//! {"url":…,"seconds":…,"requests":…,"succeeded":…,"failed":…,"aborted":…,"late":…,
//!  "interrupted":false,"req_per_s":…,"bytes":…,"bytes_per_s":…,
//!  "latency_us":{"min","mean","p50","p90","p99","p99_9","max"} or null,
//!  "histogram":[{"upto_us":…,"count":…}],"status":{"2xx":…},"protocols":{"HTTP/2":…},
//!  "failures":[{"verdict":…,"kind":…,"count":…,"example":…}],
//!  "goaways":…,"goaways_by_code":[{"code":…,"name":…,"count":…}],
//!  "retries":…,"retries_by_reason":{…},"connections":…}
//! ```

use serde::{Serialize, Serializer};

use super::summary::{Bucket, Failure, GoAways, Latency, Summary};
use crate::json_fixed::Fixed;

pub(super) fn render(s: &Summary) -> serde_json::Result<String> {
    serde_json::to_string(&Report {
        url: &s.url,
        seconds: Fixed(s.seconds),
        requests: s.requests,
        succeeded: s.succeeded,
        failed: s.failed,
        aborted: s.aborted,
        late: s.late,
        interrupted: s.interrupted,
        req_per_s: Fixed(s.req_per_s),
        bytes: s.bytes,
        bytes_per_s: Fixed(s.bytes_per_s),
        latency_us: s.latency.as_ref(),
        histogram: &s.histogram,
        status: &s.statuses,
        protocols: &s.versions,
        failures: &s.failures,
        goaways: s.go_aways_total,
        goaways_by_code: &s.go_aways,
        retries: s.retries_total,
        retries_by_reason: &s.retries,
        connections: s.connections,
    })
}

/// The members in the order above.
#[derive(Serialize)]
struct Report<'a> {
    url: &'a str,
    seconds: Fixed<6>,
    requests: u64,
    succeeded: u64,
    failed: u64,
    aborted: u64,
    late: u64,
    interrupted: bool,
    req_per_s: Fixed<1>,
    bytes: u64,
    bytes_per_s: Fixed<1>,
    latency_us: Option<&'a Latency>,
    histogram: &'a [Bucket],
    #[serde(serialize_with = "counts")]
    status: &'a [(&'static str, u64)],
    #[serde(serialize_with = "counts")]
    protocols: &'a [(&'static str, u64)],
    failures: &'a [Failure],
    goaways: u64,
    goaways_by_code: &'a [GoAways],
    retries: u64,
    #[serde(serialize_with = "counts")]
    retries_by_reason: &'a [(String, u64)],
    connections: u64,
}

/// `{"name":count,...}`, in the list's order.
fn counts<K: AsRef<str>, S: Serializer>(items: &&[(K, u64)], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_map(items.iter().map(|(k, n)| (k.as_ref(), n)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::tally::{FailureGroup, Latencies, Tally};
    use super::*;

    #[test]
    fn strings_are_escaped_and_numbers_finite() {
        let mut tally = Tally::new(Latencies::new());
        tally.failures.push(FailureGroup {
            processing: Some(baton::Processing::MaybeProcessed),
            kind: "timeout",
            count: 3,
            example: "a \"quoted\"\nline\\ and \u{1}".to_owned(),
        });
        let mut stats = baton::Stats::default();
        stats.go_aways.insert(0, 2);
        let summary = Summary::new("http://h/\"x\"", &tally, Duration::ZERO, &stats, false);
        let json = render(&summary).unwrap();
        assert!(json.contains(r#""example":"a \"quoted\"\nline\\ and \u0001""#), "{json}");
        assert!(json.contains(r#""url":"http://h/\"x\"""#), "{json}");
        assert!(json.contains(r#""latency_us":null"#), "{json}");
        assert!(json.contains(r#""goaways_by_code":[{"code":0,"name":"NO_ERROR","count":2}]"#), "{json}");
        assert!(json.contains(r#""failed":3,"#), "{json}");
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
        assert!(!json.contains('\n'), "one line: {json}");
    }
}
