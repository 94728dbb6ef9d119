//! The baton client's table and JSON rows.

use std::time::Duration;

use super::client::Row;
use crate::journal_json::string;

pub(super) fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

pub(super) fn print_table(rows: &[Row]) {
    println!(
        "{:<4} {:<48} {:>5} {:>5} {:>7} {:>9} {:>10} {:>6} {:>6} {:>7} {:>7} {:>7}",
        "id",
        "scenario",
        "reqs",
        "ok",
        "retried",
        "required",
        "unexpected",
        "twice",
        "rerun",
        "p50ms",
        "p99ms",
        "maxms"
    );
    for r in rows {
        let t = &r.tally;
        println!(
            "{:<4} {:<48} {:>5} {:>5} {:>7} {:>9} {:>10} {:>6} {:>6} {:>7} {:>7} {:>7}",
            r.id,
            r.what,
            t.requests,
            t.succeeded,
            r.retried,
            r.failed_as_required,
            r.unexpected.len(),
            t.twice.len(),
            t.rerun,
            ms(t.p50),
            ms(t.p99),
            ms(t.max)
        );
    }
}

/// One scenario as a JSON object.
pub(super) fn json_row(r: &Row) -> String {
    let t = &r.tally;
    let unexpected: Vec<String> = r.unexpected.iter().map(|u| string(u)).collect();
    format!(
        "{{\"id\":{},\"scenario\":{},\"requests\":{},\"succeeded\":{},\"retried\":{},\"failed_as_required\":{},\"unexpected\":[{}],\"processed_twice\":{},\"rerun\":{},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{},\"failed\":{},\"failed_but_processed\":{},\"processed\":{}}}",
        string(r.id),
        string(r.what),
        t.requests,
        t.succeeded,
        r.retried,
        r.failed_as_required,
        unexpected.join(","),
        t.twice.len(),
        t.rerun,
        ms(t.p50),
        ms(t.p99),
        ms(t.max),
        t.failed,
        t.failed_but_processed,
        t.processed
    )
}
