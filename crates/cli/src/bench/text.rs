//! The report for people.

use std::fmt::Write;

use super::summary::Summary;

/// Width of the longest histogram bar.
const BAR: u64 = 40;

pub(super) fn render(s: &Summary) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let w = &mut out;
    let _ = writeln!(w, "Summary of {}{}", s.url, if s.interrupted { " (interrupted)" } else { "" });
    let _ = writeln!(w, "  Total time:   {:.3} s", s.seconds);
    let _ = write!(w, "  Requests:     {} done, {} succeeded, {} failed", s.requests, s.succeeded, s.failed);
    if s.aborted > 0 {
        let when = if s.interrupted { "by Ctrl-C" } else { "at the end of the run" };
        let _ = write!(w, ", {} aborted {when}", s.aborted);
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "  Requests/s:   {:.1}", s.req_per_s);
    let _ =
        writeln!(w, "  Bytes/s:      {} ({} bytes of response bodies)", per_second(s.bytes_per_s), s.bytes);
    if s.late > 0 {
        let _ = writeln!(w, "  Rate missed:  {} requests started late: all -c workers were busy", s.late);
    }

    if let Some(l) = &s.latency {
        let _ = writeln!(w, "\nLatency (ms, successful requests, to the end of the body):");
        let _ = writeln!(
            w,
            "  min {}  mean {}  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            ms(l.min),
            ms(l.mean),
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.p999),
            ms(l.max)
        );
        let _ = writeln!(w, "\nLatency histogram (ms):");
        let most = s.histogram.iter().map(|b| b.count).max().unwrap_or(1).max(1);
        let width = s.histogram.iter().map(|b| ms(b.upto).len()).max().unwrap_or(0);
        let count_width = most.to_string().len();
        for b in &s.histogram {
            // Any request at all shows.
            let bar = "#".repeat(usize::try_from((b.count * BAR).div_ceil(most)).unwrap_or(0));
            let line = format!("  {:>width$} [{:>count_width$}] {bar}", ms(b.upto), b.count);
            let _ = writeln!(w, "{}", line.trim_end());
        }
    }

    let _ = writeln!(w);
    let _ = writeln!(w, "Status codes:       {}", counts(&s.statuses));
    let _ = writeln!(w, "Protocols:          {}", counts(&s.versions));
    if s.failures.is_empty() {
        let _ = writeln!(w, "Failures:           none");
    } else {
        let _ = writeln!(w, "Failures by verdict:");
        for f in &s.failures {
            let _ = writeln!(w, "  {} x {} ({}), e.g. {}", f.count, f.verdict, f.kind, f.example);
        }
    }
    let go_aways: Vec<(String, u64)> =
        s.go_aways.iter().map(|g| (format!("{} ({:#x})", g.name, g.code), g.count)).collect();
    let _ = writeln!(w, "GOAWAYs received:   {}", total_and_counts(s.go_aways_total, &go_aways));
    let _ = writeln!(w, "Retries:            {}", total_and_counts(s.retries_total, &s.retries));
    let _ = writeln!(w, "Connections opened: {}", s.connections);
    out
}

fn ms(micros: u64) -> String {
    format!("{:.3}", micros as f64 / 1000.0)
}

fn per_second(bytes: f64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1e9 => (b / 1e9, "GB"),
        b if b >= 1e6 => (b / 1e6, "MB"),
        b if b >= 1e3 => (b / 1e3, "kB"),
        b => (b, "B"),
    };
    format!("{value:.2} {unit}/s")
}

/// "5000 x 2xx, 3 x 5xx", or "none".
fn counts<K: std::fmt::Display>(items: &[(K, u64)]) -> String {
    if items.is_empty() {
        return "none".to_owned();
    }
    items.iter().map(|(k, n)| format!("{n} x {k}")).collect::<Vec<_>>().join(", ")
}

/// "0", or "50 (50 x NO_ERROR (0x0))".
fn total_and_counts<K: std::fmt::Display>(total: u64, items: &[(K, u64)]) -> String {
    if total == 0 { "0".to_owned() } else { format!("{total} ({})", counts(items)) }
}
