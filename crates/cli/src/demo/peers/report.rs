//! The peers' table, the side-by-side table (baton, hyper-util, reqwest),
//! and the peers' JSON rows.

use super::{Peer, PeerRow};
use crate::demo::client::Row;
use crate::demo::report::ms;
use crate::demo::tally::Tally;
use crate::journal_json::string;

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
pub(in crate::demo) fn json_row(r: &PeerRow) -> String {
    let t = &r.tally;
    let errors: Vec<String> =
        r.errors.iter().map(|(m, n)| format!("{{\"message\":{},\"count\":{n}}}", string(m))).collect();
    format!(
        "{{\"id\":{},\"client\":{},\"requests\":{},\"succeeded\":{},\"failed\":{},\"failed_but_processed\":{},\"processed\":{},\"processed_twice\":{},\"rerun\":{},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{},\"errors\":[{}]}}",
        string(r.id),
        string(r.peer.name()),
        t.requests,
        t.succeeded,
        t.failed,
        t.failed_but_processed,
        t.processed,
        t.twice.len(),
        t.rerun,
        ms(t.p50),
        ms(t.p99),
        ms(t.max),
        errors.join(",")
    )
}
