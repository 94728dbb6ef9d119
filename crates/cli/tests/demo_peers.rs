//! `baton demo --peers` (only with `--features peers`): a few scenarios
//! through baton, hyper-util and reqwest with small counts, checking that
//! every request is counted exactly once for every client. The counts
//! themselves depend on timing and are not asserted.

#![cfg(feature = "peers")]

mod common;

use std::process::Command;

use common::demo_report::{Counted, Demo};

/// Runs `baton demo --json --peers ARGS` and parses the report.
fn demo_peers(args: &[&str]) -> Demo {
    let out = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["demo", "--json", "--peers"])
        .args(args)
        .output()
        .expect("run baton");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    common::parse(&stdout)
}

/// What every client's row must satisfy: each request either succeeded or
/// failed, succeeded requests were processed, and "failed but processed"
/// is the rest of what the lab processed.
fn assert_adds_up(row: &Counted, requests: u64) {
    let (ok, failed) = (row.succeeded, row.failed);
    assert_eq!(row.requests, requests, "{row:?}");
    assert_eq!(ok + failed, requests, "{row:?}");
    assert!(row.failed_but_processed <= failed, "{row:?}");
    assert_eq!(row.processed, ok + row.failed_but_processed, "{row:?}");
    assert!(row.processed_twice + row.rerun <= row.processed, "{row:?}");
}

#[test]
fn peers_are_counted_like_baton() {
    // S13: REFUSED_STREAM over HTTP/2; S18: the HTTP/1.1 keep-alive race.
    for id in ["S13", "S18"] {
        let j = demo_peers(&["--only", id, "--requests", "30"]);
        let [baton] = j.scenarios.as_slice() else { panic!("one scenario: {j:?}") };
        assert_eq!(baton.id, id);
        assert_adds_up(&baton.counted(), 30);
        let failed = baton.failed_as_required + baton.unexpected.len() as u64;
        assert!(failed >= baton.failed, "{baton:?}");
        let peers = j.peers.as_deref().unwrap_or_else(|| panic!("peers: {j:?}"));
        let clients: Vec<&str> = peers.iter().map(|p| p.client.as_str()).collect();
        assert_eq!(clients, ["hyper-util", "reqwest"], "{j:?}");
        for p in peers {
            assert_eq!(p.id, id);
            assert_adds_up(&p.counted(), 30);
            let messages: u64 = p.errors.iter().map(|e| e.count).sum();
            assert_eq!(messages, p.failed, "every failure has its message: {p:?}");
        }
    }
}
