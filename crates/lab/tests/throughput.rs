//! The lab's HTTP/2 throughput next to nginx's, measured by the same h2load
//! in the same run: `h2load -n 100000 -c 1 -m 64` against `/bytes/100` on
//! nginx (from apt, private prefix, one worker, h2c prior knowledge) and on
//! the lab (normal scenario). The lab must reach half of nginx.
//!
//! Ignored by default; needs nginx and h2load and a release build:
//!
//! ```text
//! cargo test -p baton-lab --release --test throughput -- --ignored --nocapture
//! ```

mod common;

use std::path::Path;
use std::time::Duration;

use baton_lab::nginx::{Nginx, NginxOptions};
use baton_lab::{Lab, LabOptions, Scenario};

use common::{parse_h2load_requests, parse_h2load_rps, run_tool, tool_or_skip};

const REQUESTS: &str = "100000";
const BODY_LEN: usize = 100;
/// Rounds of (nginx, lab); the best of each counts.
const ROUNDS: usize = 3;
const H2LOAD_LIMIT: Duration = Duration::from_secs(60);

/// One `h2load -n 100000 -c 1 -m 64` run: req/s.
async fn h2load_rps(h2load: &Path, url: String, what: &str) -> f64 {
    let args = ["-n", REQUESTS, "-c", "1", "-m", "64"].iter().map(|s| (*s).to_owned()).chain([url]).collect();
    let out = run_tool(h2load, args, H2LOAD_LIMIT).await;
    assert!(out.success(), "h2load against {what}: {:?}\n{}\n{}", out.status, out.stdout, out.stderr);
    let requests = parse_h2load_requests(&out.stdout).expect("h2load requests: line");
    let total: u64 = REQUESTS.parse().unwrap();
    assert_eq!(
        (requests.succeeded, requests.failed, requests.errored),
        (total, 0, 0),
        "{what}: {requests:?}"
    );
    let rps = parse_h2load_rps(&out.stdout).expect("h2load finished-in line");
    let finished = out.stdout.lines().find(|l| l.starts_with("finished in")).unwrap_or("");
    println!("  {what:<6} {finished}");
    rps
}

/// The lab runs on this test's runtime: one worker thread, like nginx's one
/// worker process, so each server gets one core and h2load has the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
#[ignore = "needs nginx and h2load; run: cargo test -p baton-lab --release --test throughput -- --ignored --nocapture"]
async fn lab_reaches_half_of_nginx() {
    let Some(h2load) = tool_or_skip("h2load", "throughput") else { return };
    let Some(nginx_bin) = tool_or_skip("nginx", "throughput") else { return };
    let _ = nginx_bin;
    let nginx = Nginx::start(&NginxOptions::default()).expect("nginx starts");
    println!("nginx {:?} listening on {}", nginx.version(), nginx.addr());
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let path = format!("/bytes/{BODY_LEN}");

    // Warm-up, then alternate so both see the same machine state.
    let _ = h2load_rps(&h2load, nginx.url(&path), "nginx").await;
    let _ = h2load_rps(&h2load, lab.url(&path), "lab").await;
    let (mut best_nginx, mut best_lab) = (0.0_f64, 0.0_f64);
    for round in 1..=ROUNDS {
        println!("round {round}:");
        best_nginx = best_nginx.max(h2load_rps(&h2load, nginx.url(&path), "nginx").await);
        best_lab = best_lab.max(h2load_rps(&h2load, lab.url(&path), "lab").await);
    }
    let processed = lab.ledger().stats().processed;
    lab.stop().await;
    drop(nginx);

    let ratio = best_lab / best_nginx;
    println!(
        "h2load -n {REQUESTS} -c 1 -m 64, GET {path}, best of {ROUNDS}: nginx {best_nginx:.0} req/s, \
         lab {best_lab:.0} req/s, lab/nginx = {:.0}%",
        ratio * 100.0
    );
    assert_eq!(processed, (ROUNDS as u64 + 1) * REQUESTS.parse::<u64>().unwrap());
    if cfg!(debug_assertions) {
        println!("debug build: the 50% bar applies to release builds only (add --release)");
    } else {
        assert!(ratio >= 0.5, "the lab reaches only {:.0}% of nginx", ratio * 100.0);
    }
}
