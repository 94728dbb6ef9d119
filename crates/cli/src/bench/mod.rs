//! `baton bench URL`: a load generator built on the baton client, in the
//! manner of h2load and oha.
//!
//! - `plan`: the request to send and the schedule (closed loop, `--rate`
//!   open loop, `--duration`, Ctrl-C), shared by every worker.
//! - `worker`: one of the `-c` tasks that send requests one after another.
//! - `tally`: what one worker saw; merged at the end.
//! - `summary`: the numbers of the report, computed once for both outputs.
//! - `text` and `json`: the two renderings; `progress`: the live line.

mod json;
mod plan;
mod progress;
mod summary;
mod tally;
mod text;
mod worker;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use crate::flags::{positive_number, positive_seconds};
use plan::Plan;
use summary::Summary;
use tally::Tally;

const AFTER_HELP: &str = "\
Closed loop by default: -c workers each send a request as soon as their last one is
done. With --rate, requests start on a fixed schedule (open loop), still at most -c in
flight, and each latency counts from the request's scheduled start: when every worker is
busy, the wait is part of what the server's slowness cost (as wrk2 counts it).

For h2load users: concurrency is -c, the requests in flight in total (h2load's -c
clients times -m streams); here -m is the method. `h2load -c 1 -m 64` is close to
`baton bench --http2-prior-knowledge --connections 1 -c 64`.

Exit status: 0 when every request got a response (whatever its status code), 1 when
any request failed, 2 for bad arguments, 130 when interrupted by Ctrl-C.";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// The URL to load.
    url: String,
    /// Requests to send.
    #[arg(short = 'n', long = "requests", default_value_t = 1000, conflicts_with = "duration")]
    requests: u64,
    /// Requests in flight at once, over all connections.
    #[arg(short = 'c', long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=MAX_CONCURRENCY))]
    concurrency: u32,
    /// At most this many HTTP/2 connections per origin; the client opens
    /// another only when the open ones are at the server's stream limit.
    /// (HTTP/1.1 uses one connection per request in flight.)
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    connections: u32,
    /// Run for this many seconds instead of a request count; requests still
    /// in flight at the end are aborted and counted apart.
    #[arg(short = 'd', long, value_name = "SECS", value_parser = positive_seconds)]
    duration: Option<f64>,
    /// Open loop: start this many requests a second, whatever the responses
    /// (still at most -c in flight).
    #[arg(long, value_name = "PER_SECOND", value_parser = per_second)]
    rate: Option<f64>,
    /// Give up on a request after this many seconds, retries included.
    #[arg(short = 't', long, value_name = "SECS", value_parser = positive_seconds)]
    timeout: Option<f64>,
    /// Request method; GET, or POST with --data.
    #[arg(short = 'm', long)]
    method: Option<String>,
    /// Request body; "@FILE" reads a file. Implies POST unless -m is given.
    #[arg(long)]
    data: Option<String>,
    /// A request header, "Name: value" (repeatable); "Name;" sends an
    /// empty value, "Name:" drops an earlier -H of that name.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    #[command(flatten)]
    connect: crate::flags::Connect,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
    /// No live progress line on stderr.
    #[arg(long)]
    no_progress: bool,
    /// Runtime worker threads (h2load's -t). By default one when every
    /// request shares one HTTP/2 connection (--http2-prior-knowledge
    /// --connections 1), where a second thread only costs the hand-offs of
    /// every batch of responses; otherwise one per CPU.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
}

impl Args {
    /// The runtime's worker threads; `None` for one per CPU.
    pub(crate) fn worker_threads(&self) -> Option<u16> {
        let one_connection = self.connect.http2_prior_knowledge() && self.connections == 1;
        self.threads.or(one_connection.then_some(1))
    }
}

/// The most requests in flight `-c` takes: each is a task with its own
/// state, and far more than any server takes at once.
const MAX_CONCURRENCY: i64 = 1_000_000;

fn per_second(s: &str) -> Result<f64, String> {
    // Slower than one request in 1000 s, or faster than a nanosecond apart, is a typo.
    positive_number(s).and_then(|v| {
        if (1e-3..=1e9).contains(&v) { Ok(v) } else { Err(format!("{s} a second is out of range")) }
    })
}

pub(crate) async fn run(args: Args) -> ExitCode {
    let progress = !args.json && !args.no_progress && std::io::stderr().is_terminal();
    let plan = match Plan::new(&args, progress) {
        Ok(plan) => Arc::new(plan),
        Err(message) => {
            eprintln!("baton bench: {message}");
            return ExitCode::from(2);
        }
    };
    let interrupt = tokio::spawn(plan::interrupt_on_ctrl_c(plan.clone()));
    // No more workers than requests: the rest would start only to stop.
    let workers = match args.duration {
        Some(_) => u64::from(args.concurrency),
        None => u64::from(args.concurrency).min(args.requests),
    };
    let workers: Vec<_> = (0..workers).map(|_| tokio::spawn(worker::run(plan.clone()))).collect();
    let ticker = progress.then(|| tokio::spawn(progress::show(plan.clone())));

    let mut total = Tally::new(plan.latencies.clone());
    let mut lost = 0;
    for w in workers {
        match w.await {
            Ok(t) => total.merge(t),
            Err(e) => {
                eprintln!("baton bench: a worker failed: {e}");
                lost += 1;
            }
        }
    }
    let elapsed = plan.elapsed();
    interrupt.abort();
    if let Some(ticker) = ticker {
        ticker.abort();
        let _ = ticker.await;
        progress::clear();
    }

    let summary = Summary::new(&args.url, &total, elapsed, &plan.client.stats(), plan.interrupted());
    let report = if args.json {
        match json::render(&summary) {
            Ok(json) => format!("{json}\n"),
            Err(e) => {
                eprintln!("baton bench: cannot write the report as JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        text::render(&summary)
    };
    let printed = crate::flags::print(&report);
    if let Err(e) = &printed
        && let Some(message) = crate::flags::write_failure(e)
    {
        eprintln!("baton bench: {message}");
    }
    // Ctrl-C first: what the run saw after it is not what was asked for.
    if summary.interrupted {
        ExitCode::from(130)
    } else if summary.failed > 0 || lost > 0 || printed.is_err() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: super::Args,
    }

    fn threads(args: &[&str]) -> Option<u16> {
        let cli = Cli::try_parse_from([&["baton"], args, &["http://127.0.0.1:1/"]].concat()).unwrap();
        cli.bench.worker_threads()
    }

    #[test]
    fn one_thread_by_default_only_for_one_http2_connection() {
        assert_eq!(threads(&["--http2-prior-knowledge"]), Some(1));
        assert_eq!(threads(&["--http2-prior-knowledge", "--connections", "2"]), None);
        assert_eq!(threads(&[]), None, "ALPN may choose HTTP/1.1, a connection per request");
        let both = ["baton", "--http2-prior-knowledge", "--http1.1", "http://127.0.0.1:1/"];
        assert!(Cli::try_parse_from(both).is_err(), "the two protocols conflict");
        assert_eq!(threads(&["--http2-prior-knowledge", "--threads", "3"]), Some(3));
        assert_eq!(threads(&["--threads", "2"]), Some(2));
    }
}
