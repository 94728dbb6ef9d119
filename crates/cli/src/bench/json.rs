//! The report for machines: one JSON object on one line, written by hand.
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

use std::fmt::Display;

use super::summary::Summary;
use crate::journal_json::string;

pub(super) fn render(s: &Summary) -> String {
    let mut o = Object::new();
    o.str("url", &s.url);
    o.float("seconds", s.seconds, 6);
    o.raw("requests", s.requests);
    o.raw("succeeded", s.succeeded);
    o.raw("failed", s.failed);
    o.raw("aborted", s.aborted);
    o.raw("late", s.late);
    o.raw("interrupted", s.interrupted);
    o.float("req_per_s", s.req_per_s, 1);
    o.raw("bytes", s.bytes);
    o.float("bytes_per_s", s.bytes_per_s, 1);
    match &s.latency {
        Some(l) => {
            let mut lat = Object::new();
            for (k, v) in [
                ("min", l.min),
                ("mean", l.mean),
                ("p50", l.p50),
                ("p90", l.p90),
                ("p99", l.p99),
                ("p99_9", l.p999),
                ("max", l.max),
            ] {
                lat.raw(k, v);
            }
            o.raw("latency_us", lat.finish());
        }
        None => o.raw("latency_us", "null"),
    }
    o.raw(
        "histogram",
        array(s.histogram.iter().map(|b| {
            let mut bucket = Object::new();
            bucket.raw("upto_us", b.upto);
            bucket.raw("count", b.count);
            bucket.finish()
        })),
    );
    o.raw("status", counts(&s.statuses));
    o.raw("protocols", counts(&s.versions));
    o.raw(
        "failures",
        array(s.failures.iter().map(|f| {
            let mut failure = Object::new();
            failure.str("verdict", &f.verdict);
            failure.str("kind", f.kind);
            failure.raw("count", f.count);
            failure.str("example", &f.example);
            failure.finish()
        })),
    );
    o.raw("goaways", s.go_aways_total);
    o.raw(
        "goaways_by_code",
        array(s.go_aways.iter().map(|g| {
            let mut go_away = Object::new();
            go_away.raw("code", g.code);
            go_away.str("name", &g.name);
            go_away.raw("count", g.count);
            go_away.finish()
        })),
    );
    o.raw("retries", s.retries_total);
    o.raw("retries_by_reason", counts(&s.retries));
    o.raw("connections", s.connections);
    o.finish()
}

/// A JSON object under construction.
struct Object {
    out: String,
}

impl Object {
    fn new() -> Self {
        Self { out: String::from("{") }
    }

    /// A member whose value is already JSON (a number, a bool, an object).
    fn raw(&mut self, key: &str, value: impl Display) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.out.push_str(&string(key));
        self.out.push(':');
        self.out.push_str(&value.to_string());
    }

    fn str(&mut self, key: &str, value: &str) {
        self.raw(key, string(value));
    }

    /// A number with `decimals` decimals; JSON has no NaN or infinity.
    fn float(&mut self, key: &str, value: f64, decimals: usize) {
        if value.is_finite() {
            self.raw(key, format!("{value:.decimals$}"));
        } else {
            self.raw(key, "null");
        }
    }

    fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

fn array(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(","))
}

/// `{"name":count,...}`.
fn counts<K: AsRef<str>>(items: &[(K, u64)]) -> String {
    let mut o = Object::new();
    for (k, n) in items {
        o.raw(k.as_ref(), n);
    }
    o.finish()
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
        let json = render(&summary);
        assert!(json.contains(r#""example":"a \"quoted\"\u000aline\\ and \u0001""#), "{json}");
        assert!(json.contains(r#""url":"http://h/\"x\"""#), "{json}");
        assert!(json.contains(r#""latency_us":null"#), "{json}");
        assert!(json.contains(r#""goaways_by_code":[{"code":0,"name":"NO_ERROR","count":2}]"#), "{json}");
        assert!(json.contains(r#""failed":3,"#), "{json}");
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
        assert!(!json.contains('\n'), "one line: {json}");
    }
}
