//! `baton demo`: every scenario of DESIGN.md §7 through the baton client,
//! against the lab in-process, with GET, PUT and POST mixed. For each, a row:
//! requests, succeeded, retried, failed as required, unexpected, processed
//! twice, and latency. Anything unexpected makes the exit status non-zero.
//!
//! With `--rtt 20ms`, the lab's fault proxy sits between client and lab and
//! adds half the round trip each way, with jitter.
//!
//! Built with `--features peers`, `baton demo --peers` also sends each
//! scenario's requests through hyper-util's legacy client and reqwest (each
//! against a fresh lab) and prints their rows and a side-by-side table. The
//! peers' results never change the exit status.

mod blackhole;
mod cases;
mod client;
mod drive;
mod mix;
mod network;
#[cfg(feature = "peers")]
mod peers;
mod report;
mod settings_wait;
mod tally;

use std::collections::BTreeMap;
use std::process::ExitCode;

use std::time::Duration;

use baton_lab::proxy::parse_duration;
use serde::Serialize;

use cases::{Case, cases};
use client::Row;
use network::Network;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Run only this scenario (its id, S1 to S18), or those whose name
    /// contains this (any case).
    #[arg(long)]
    only: Option<String>,
    /// Send at most this many requests per scenario (a quick run).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    requests: Option<u64>,
    /// Also run every scenario through hyper-util's legacy client and
    /// reqwest, and print them side by side with baton (needs a build with
    /// `--features peers`).
    #[arg(long)]
    peers: bool,
    /// Run every scenario over a network with this round-trip time: the
    /// lab's fault proxy between client and lab adds half of it each way
    /// (20ms: 10 ms each way).
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    rtt: Option<Duration>,
    /// With --rtt: the most each way's delay varies, either side (bytes are
    /// never reordered). A tenth of the round trip by default.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, requires = "rtt")]
    jitter: Option<Duration>,
    /// Instead of the scenarios: how long a request takes to fail or be
    /// retried elsewhere when its connection goes silent (a blackhole), for
    /// an HTTP/2 connection with requests in flight and idle pooled HTTP/2
    /// and HTTP/1.1 connections; with --peers, also hyper-util and reqwest.
    #[arg(long, conflicts_with_all = ["json", "only", "requests", "rtt"])]
    blackhole: bool,
    /// With --blackhole: drop the connection's packets with iptables (as a
    /// dropped flow does) instead of the fault proxy's blackhole, which
    /// TCP itself cannot see. Needs root in a private network namespace.
    #[arg(long, requires = "blackhole")]
    kernel: bool,
    /// With --blackhole: how long to wait for each request.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, default_value = "60s", requires = "blackhole")]
    limit: Duration,
    /// With --blackhole --kernel: how long the silent connection sits idle
    /// before the next request, in the `idle long` cases.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, default_value = "40s", requires = "kernel")]
    idle_long: Duration,
    /// Instead of the scenarios: what waiting for a new HTTP/2 connection's
    /// SETTINGS costs, against nginx (h2c and TLS) behind the fault proxy
    /// at --rtt (default 20ms), for each `SettingsWait` policy.
    #[arg(long, conflicts_with_all = ["json", "only", "requests", "blackhole", "peers"])]
    settings_wait: bool,
    /// With --settings-wait: requests per figure.
    #[arg(long, default_value_t = 20, requires = "settings_wait")]
    samples: usize,
}

/// `--only`: the scenario with that id, or those whose name has it in.
fn selects(case: &Case, only: &str) -> bool {
    case.id.eq_ignore_ascii_case(only) || case.what.to_lowercase().contains(&only.to_lowercase())
}

pub(crate) async fn run(args: Args) -> ExitCode {
    if args.peers && !cfg!(feature = "peers") {
        eprintln!(
            "baton demo: --peers needs a build with the `peers` feature: \
             cargo run --release -p baton-cli --features peers -- demo --peers"
        );
        return ExitCode::from(2);
    }
    if args.settings_wait {
        return settings_wait::run(args.rtt.unwrap_or(Duration::from_millis(20)), args.samples.max(1)).await;
    }
    if args.blackhole {
        let options = blackhole::Options {
            peers: args.peers,
            kernel: args.kernel,
            limit: args.limit,
            idle_long: args.idle_long,
        };
        return blackhole::run(options).await;
    }
    let selected: Vec<Case> = cases()
        .into_iter()
        .filter(|c| args.only.as_deref().is_none_or(|f| selects(c, f)))
        .map(|mut c| {
            if let Some(n) = args.requests {
                c.requests = c.requests.min(usize::try_from(n).unwrap_or(usize::MAX));
            }
            c
        })
        .collect();
    if selected.is_empty() {
        let ids: Vec<&str> = cases().iter().map(|c| c.id).collect();
        eprintln!(
            "baton demo: no scenario matches {:?} (ids: {})",
            args.only.as_deref().unwrap_or_default(),
            ids.join(", ")
        );
        return ExitCode::from(2);
    }
    let network =
        args.rtt.map(|rtt| Network::round_trip(rtt, args.jitter.unwrap_or(rtt / 10))).unwrap_or_default();
    if !args.json && network != Network::default() {
        eprintln!("network: {}", network.describe());
    }
    let mut rows = Vec::new();
    #[cfg(feature = "peers")]
    let mut peer_rows = Vec::new();
    let mut problems: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in &selected {
        if !args.json {
            eprintln!("{} {} ({}) ...", case.id, case.what, case.scenario.name());
        }
        match client::run_case(case, network).await {
            Ok(row) => {
                if !row.unexpected.is_empty() {
                    problems.insert(case.id, row.unexpected.clone());
                }
                rows.push(row);
            }
            Err(e) => {
                problems.insert(case.id, vec![e]);
            }
        }
        #[cfg(feature = "peers")]
        if args.peers {
            for peer in peers::Peer::ALL {
                if !args.json {
                    eprintln!("    ... through {}", peer.name());
                }
                match peers::run_case(case, peer, network).await {
                    Ok(row) => peer_rows.push(row),
                    Err(e) => eprintln!("{} through {}: {e}", case.id, peer.name()),
                }
            }
        }
    }
    #[cfg(feature = "peers")]
    let peer_json = args.peers.then(|| peer_rows.iter().map(peers::report::JsonRow::new).collect());
    #[cfg(not(feature = "peers"))]
    let peer_json: Option<Vec<()>> = None;
    if args.json {
        if let Err(e) = print_json(&rows, peer_json, network) {
            eprintln!("baton demo: cannot write the report as JSON: {e}");
            return ExitCode::FAILURE;
        }
    } else {
        if network != Network::default() {
            println!("network: {}", network.describe());
        }
        report::print_table(&rows);
        print_problems(&problems);
        #[cfg(feature = "peers")]
        if args.peers {
            peers::report::print_peers(&peer_rows);
            peers::report::print_side_by_side(&rows, &peer_rows);
            println!(
                "\nper client: \"fail\": requests the client reported failed; \"f+proc\": of those, requests the lab \
                 processed anyway; \"twice\": POSTs processed twice, or anything three times; \"rerun\": GET/PUT \
                 processed twice. The peers give no verdicts, so their failures cannot be told apart."
            );
        }
    }
    if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn print_problems(problems: &BTreeMap<&str, Vec<String>>) {
    for (id, list) in problems {
        for p in list.iter().take(5) {
            println!("unexpected in {id}: {p}");
        }
    }
    if problems.is_empty() {
        println!(
            "\nevery request ended as DESIGN.md §7 requires. \"required\": failures the rules demand (a POST \
             whose outcome is unknown, a response cut after it started); \"rerun\": idempotent requests sent \
             again after an unknown outcome, as rule 2 allows; \"twice\": anything else processed twice (must be 0)."
        );
    }
}

/// `{"scenarios":[...]}`, with `"peers":[...]` after it under `--peers`
/// and `"rtt_ms":20` before it under `--rtt`.
#[derive(Serialize)]
struct Json<'a, P> {
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "whole_or_fraction")]
    rtt_ms: Option<f64>,
    scenarios: Vec<report::JsonRow<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peers: Option<Vec<P>>,
}

/// A number of milliseconds as an integer when it is one (`20`, not `20.0`).
fn whole_or_fraction<S: serde::Serializer>(ms: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) if ms.fract() == 0.0 && *ms >= 0.0 && *ms < u64::MAX as f64 => s.serialize_u64(*ms as u64),
        Some(ms) => s.serialize_f64(*ms),
        None => s.serialize_none(),
    }
}

fn print_json<P: Serialize>(rows: &[Row], peers: Option<Vec<P>>, network: Network) -> serde_json::Result<()> {
    let rtt_ms = (network != Network::default()).then(|| network.rtt_ms());
    let scenarios = rows.iter().map(report::JsonRow::new).collect();
    println!("{}", serde_json::to_string(&Json { rtt_ms, scenarios, peers })?);
    Ok(())
}
