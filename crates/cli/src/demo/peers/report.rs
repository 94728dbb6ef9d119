//! The peers' table, the side-by-side table (baton, hyper-util, reqwest),
//! and the peers' JSON rows.

use serde::Serialize;

use super::{Peer, PeerRow};
use crate::demo::client::Row;
use crate::demo::report::{ms, ms_json};
use crate::demo::tally::Tally;
use crate::json_fixed::Fixed;

/// One row per scenario and peer, then the most frequent error of each.
pub(in crate::demo) fn print_peers(rows: &[PeerRow]) {
    println!(
        "\n{:<4} {:<10} {:>5} {:>5} {:>6} {:>9} {:>6} {:>6} {:>7} {:>7}",
        "id", "client", "reqs", "ok", "failed", "f+proc", "twice", "rerun", "p99ms", "maxms"
    );
    for r in rows {
        let t = &r.tally;
        println!(
            "{:<4} {:<10} {:>5} {:>5} {:>6} {:>9} {:>6} {:>6} {:>7} {:>7}",
            r.id,
            r.peer.name(),
            t.requests,
            t.succeeded,
            t.failed,
            t.failed_but_processed,
            t.twice.len(),
            t.rerun,
            ms(t.p99),
            ms(t.max)
        );
    }
    for r in rows {
        if let Some((message, n)) = r.errors.first() {
            let more = r.errors.len() - 1;
            let more = if more > 0 { format!(" (+{more} other messages)") } else { String::new() };
            println!("{} {}: {n}x {message}{more}", r.id, r.peer.name());
        }
    }
}

fn cells(t: Option<&Tally>) -> String {
    match t {
        Some(t) => {
            format!("{:>5} {:>6} {:>5} {:>5}", t.failed, t.failed_but_processed, t.twice.len(), t.rerun)
        }
        None => format!("{:>5} {:>6} {:>5} {:>5}", "-", "-", "-", "-"),
    }
}

/// Scenario rows; for baton and each peer: failed, failed but processed,
/// processed twice, rerun.
pub(in crate::demo) fn print_side_by_side(baton: &[Row], peers: &[PeerRow]) {
    let group = |name: &str| format!("{name:^24}");
    let groups = format!(
        "{:<4} {:<48}  {}  {}  {}",
        "",
        "",
        group("baton"),
        group(Peer::HyperUtil.name()),
        group(Peer::Reqwest.name())
    );
    println!("\n{}", groups.trim_end());
    let heads = format!("{:>5} {:>6} {:>5} {:>5}", "fail", "f+proc", "twice", "rerun");
    println!("{:<4} {:<48}  {heads}  {heads}  {heads}", "id", "scenario");
    for b in baton {
        let peer = |p: Peer| peers.iter().find(|r| r.id == b.id && r.peer == p).map(|r| &r.tally);
        println!(
            "{:<4} {:<48}  {}  {}  {}",
            b.id,
            b.what,
            cells(Some(&b.tally)),
            cells(peer(Peer::HyperUtil)),
            cells(peer(Peer::Reqwest))
        );
    }
}

/// One scenario and peer as a JSON object.
#[derive(Serialize)]
pub(in crate::demo) struct JsonRow<'a> {
    id: &'a str,
    client: &'a str,
    requests: usize,
    succeeded: usize,
    failed: usize,
    failed_but_processed: usize,
    processed: usize,
    processed_twice: usize,
    rerun: usize,
    p50_ms: Fixed<1>,
    p99_ms: Fixed<1>,
    max_ms: Fixed<1>,
    errors: Vec<ErrorJson<'a>>,
}

/// One error message and how often it occurred.
#[derive(Serialize)]
struct ErrorJson<'a> {
    message: &'a str,
    count: usize,
}

impl<'a> JsonRow<'a> {
    pub(in crate::demo) fn new(r: &'a PeerRow) -> Self {
        let t = &r.tally;
        Self {
            id: r.id,
            client: r.peer.name(),
            requests: t.requests,
            succeeded: t.succeeded,
            failed: t.failed,
            failed_but_processed: t.failed_but_processed,
            processed: t.processed,
            processed_twice: t.twice.len(),
            rerun: t.rerun,
            p50_ms: ms_json(t.p50),
            p99_ms: ms_json(t.p99),
            max_ms: ms_json(t.max),
            errors: r.errors.iter().map(|(message, count)| ErrorJson { message, count: *count }).collect(),
        }
    }
}
