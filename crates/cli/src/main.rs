//! `baton`: the command line over the baton client and lab.
//!
//! - `baton demo` runs every DESIGN.md §7 scenario through the client
//!   against the lab and prints what happened to every request.
//! - `baton get URL` is a curl-like single request with a verbose account
//!   of the connection's life.
//! - `baton bench URL` is a load generator built on the client.
//! - `baton lab` serves the lab's scenarios on 127.0.0.1; `baton lab proxy`
//!   forwards TCP through network faults.
//! - `baton soak` runs a million requests against three origins that
//!   close connections every way, and checks every outcome.

mod bench;
mod demo;
mod flags;
mod get;
mod headers;
mod journal_json;
mod json_fixed;
mod lab;
mod lab_proxy;
mod route;
mod soak;
mod trace;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// baton: an HTTP client that gets connection shutdown right.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every connection-shutdown scenario through the client and report.
    Demo(demo::Args),
    /// Send one request and print the response.
    Get(get::Args),
    /// Generate load against a URL and report throughput and latency.
    Bench(bench::Args),
    /// Serve a lab scenario on 127.0.0.1, or (`baton lab proxy`) forward
    /// TCP through network faults.
    Lab(lab::Args),
    /// Send a million requests to three origins that close connections
    /// every way they do, and prove nothing was lost.
    Soak(soak::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = match &cli.command {
        Command::Bench(args) => args.worker_threads(),
        _ => None,
    };
    // One thread: the runtime runs on this one (h2load -t 1 is one thread
    // too), instead of a worker beside a main thread that only waits.
    let mut builder = match threads {
        Some(1) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    if let Some(n) = threads.filter(|&n| n > 1) {
        builder.worker_threads(usize::from(n));
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("baton: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Get(args) => get::run(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Lab(args) => lab::run(args).await,
            Command::Soak(args) => soak::run(args).await,
        }
    })
}
