//! The baton client's table and JSON rows.

use std::time::Duration;

use serde::Serialize;

use super::client::Row;
use crate::json_fixed::Fixed;

pub(super) fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Milliseconds with one decimal, in JSON as in the table.
pub(super) fn ms_json(d: Duration) -> Fixed<1> {
    Fixed(d.as_secs_f64() * 1000.0)
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
#[derive(Serialize)]
pub(super) struct JsonRow<'a> {
    id: &'a str,
    scenario: &'a str,
    requests: usize,
    succeeded: usize,
    retried: usize,
    failed_as_required: usize,
    unexpected: &'a [String],
    processed_twice: usize,
    rerun: usize,
    p50_ms: Fixed<1>,
    p99_ms: Fixed<1>,
    max_ms: Fixed<1>,
    failed: usize,
    failed_but_processed: usize,
    processed: usize,
}

impl<'a> JsonRow<'a> {
    pub(super) fn new(r: &'a Row) -> Self {
        let t = &r.tally;
        Self {
            id: r.id,
            scenario: r.what,
            requests: t.requests,
            succeeded: t.succeeded,
            retried: r.retried,
            failed_as_required: r.failed_as_required,
            unexpected: &r.unexpected,
            processed_twice: t.twice.len(),
            rerun: t.rerun,
            p50_ms: ms_json(t.p50),
            p99_ms: ms_json(t.p99),
            max_ms: ms_json(t.max),
            failed: t.failed,
            failed_but_processed: t.failed_but_processed,
            processed: t.processed,
        }
    }
}
