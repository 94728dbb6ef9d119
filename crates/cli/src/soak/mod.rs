//! `baton soak`: a million requests, at concurrency 256, against three
//! origins at once that close connections every way DESIGN.md §7 lists,
//! proving that nothing is lost (`origins.rs`): every request either
//! succeeded or failed with the verdict the rules require for what
//! happened to it, checked against what the servers themselves say they
//! processed; nothing was processed more often than allowed; and the
//! process's resident memory and open descriptors end where they started
//! (`sample.rs`).
//!
//! It lives in the CLI, not in `bench/`: it needs the client, the lab, the
//! fault proxy and the nginx launcher together, which the CLI already
//! links, and it is a pass/fail check (exit status 1 on any unexpected
//! outcome or a bound passed), not a speed comparison with peers.
//!
//! - `outcome.rs`: each request's fate in two bytes, and the judgement of
//!   it against the server's count;
//! - `origins.rs`: the three origins, their churn, and their books;
//! - `sample.rs`: memory and descriptor readings;
//! - `report.rs`: the tables.

mod origins;
mod outcome;
mod report;
mod sample;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baton_lab::proxy::{parse_bytes, parse_duration};
use tokio::sync::Semaphore;

use origins::{Origins, Which};
use outcome::{Method, Outcome, Outcomes};
use sample::Sample;

const AFTER_HELP: &str = "\
The three origins: nginx over h2c with keepalive_requests 100, reloaded every --reload-every;
the lab over h2c, cycling through the GOAWAY scenarios every --scenario-every; nginx over
TLS behind the fault proxy, three in eight of its connections reset mid-response, reset
mid-request, or blackholed (then reset 15 s later). Requests go to each in turn: six GETs,
two PUTs, two POSTs in ten, each with its number as x-request-id.

Checked: every request succeeded (processed once, or twice for an idempotent one sent again
after an unknown outcome) or failed with a verdict the server's books agree with (nginx's
access log, the lab's ledger) and the rules allow at that origin (nothing may fail at the
reloading nginx; at the others, a POST whose outcome is unknown, an idempotent request
whose one retry was unknown too, a broken response, an exhausted retry budget on a request
never processed). Resident memory at the end of the run may exceed the reading at 10% of
it by at most --rss-growth; open descriptors after the client's shutdown may exceed those
before the first request by at most --fd-growth.

Exit status: 0 when every check held, 1 otherwise, 2 when an origin could not start.";

#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct Args {
    /// Requests in all, spread over the three origins.
    #[arg(short = 'n', long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(3..))]
    requests: u64,
    /// Requests in flight at once, over all origins.
    #[arg(short = 'c', long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    concurrency: u32,
    /// Start at most this many requests a second (default: as fast as
    /// the concurrency allows). A short run paced over tens of seconds
    /// meets the reloads, the scenario changes and the blackholes a long
    /// one does.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    rate: Option<u64>,
    /// Time between reloads of the first nginx.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, default_value = "5s")]
    reload_every: Duration,
    /// Time the lab spends on each scenario.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, default_value = "2s")]
    scenario_every: Duration,
    /// Time between memory and descriptor readings.
    #[arg(long, value_name = "TIME", value_parser = parse_duration, default_value = "1s")]
    sample_every: Duration,
    /// How much resident memory may grow from 10% of the run to its end.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "16MiB")]
    rss_growth: u64,
    /// How many more descriptors may be open after the run than before.
    #[arg(long, value_name = "N", default_value_t = 4)]
    fd_growth: u64,
    /// No progress lines on stderr.
    #[arg(short, long)]
    quiet: bool,
}

/// What the run gathered, for the report.
struct Run {
    requests: u64,
    concurrency: u32,
    took: Duration,
    samples: Vec<Sample>,
    before: Option<Sample>,
    after: Option<Sample>,
    stats: baton::Stats,
    reloads: u64,
    proxy: baton_lab::proxy::ProxyStats,
    lab: baton_lab::LedgerStats,
    /// A few error messages per origin, as they came.
    errors: [Vec<String>; 3],
}

pub(crate) async fn run(args: Args) -> ExitCode {
    if baton_lab::nginx::Nginx::find().is_none() {
        eprintln!("baton soak: needs nginx (apt-get install nginx)");
        return ExitCode::from(2);
    }
    let Ok(total) = usize::try_from(args.requests) else {
        eprintln!("baton soak: too many requests for this machine");
        return ExitCode::from(2);
    };
    let mut origins = match Origins::start(total).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("baton soak: {e}");
            return ExitCode::from(2);
        }
    };
    // Made before the first reading: the run's books are not its growth.
    let outcomes = Arc::new(Outcomes::new(total));
    let errors: Arc<[std::sync::Mutex<Vec<String>>; 3]> = Arc::default();
    let client = match baton::Client::builder()
        .http2_prior_knowledge()
        .add_root_certificate(origins.certificate())
        // Far beyond any detection the client does itself (10 s for a dead
        // connection): a request that reaches it is a hang.
        .timeout(Duration::from_secs(60))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("baton soak: {e}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let before = sample::now(Duration::ZERO, 0);
    origins.churn(args.reload_every, args.scenario_every);
    let done = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler =
        tokio::spawn(sample_loop(start, done.clone(), samples.clone(), args.sample_every, args.quiet));

    let bases = origins.bases();
    let limit = Arc::new(Semaphore::new(args.concurrency as usize));
    for n in 0..args.requests {
        if let Some(rate) = args.rate {
            let due = Duration::from_secs_f64(n as f64 / rate as f64);
            tokio::time::sleep_until(tokio::time::Instant::from_std(start + due)).await;
        }
        let Ok(permit) = limit.clone().acquire_owned().await else { break };
        let which = Which::of(n);
        let method = Method::of(n);
        let base = &bases[which.index()];
        let request = match method {
            Method::Get => client.get(format!("{base}/bytes/100")),
            Method::Put => client.put(format!("{base}/submit")).body("soak put"),
            Method::Post => client.post(format!("{base}/submit")).body("soak post"),
        }
        .header(baton_lab::REQUEST_ID_HEADER, &n.to_string());
        let (outcomes, errors, done) = (outcomes.clone(), errors.clone(), done.clone());
        tokio::spawn(async move {
            let result = async {
                let response = request.send().await?;
                let attempts = response.attempts().to_vec();
                response.bytes().await?;
                Ok::<_, baton::Error>(attempts)
            }
            .await;
            let outcome = match &result {
                Ok(attempts) => Outcome::success(attempts),
                Err(e) => {
                    let mut list = errors[which.index()].lock().unwrap_or_else(|e| e.into_inner());
                    if list.len() < 5 {
                        list.push(format!("#{n} {method:?}: {e}"));
                    }
                    Outcome::failure(e)
                }
            };
            outcomes.set(n, outcome);
            done.fetch_add(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    // Every request has finished once every permit is back.
    let _all = limit.acquire_many(args.concurrency).await;
    let took = start.elapsed();
    sampler.abort();
    let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|e| e.into_inner()));
    samples.extend(sample::now(start.elapsed(), done.load(Ordering::Relaxed)));
    let stats = client.stats();
    // Everything the client owes the servers, then every connection closed;
    // the servers' sides end with them (a blackholed one when its reset
    // comes).
    client.shutdown(Duration::from_secs(5)).await;
    drop(client);
    origins.settle(Duration::from_secs(20)).await;
    let after = sample::now(start.elapsed(), done.load(Ordering::Relaxed));
    let (reloads, proxy, lab) = (origins.reloads(), origins.proxy_stats(), origins.lab_stats());
    let processed = match origins.processed(total).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("baton soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    let errors = errors.each_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).clone());
    let run = Run {
        requests: args.requests,
        concurrency: args.concurrency,
        took,
        samples,
        before,
        after,
        stats,
        reloads,
        proxy,
        lab,
        errors,
    };
    let verdicts = report::judge_all(&outcomes, &processed);
    let bounds = report::Bounds { rss_growth: args.rss_growth, fd_growth: args.fd_growth };
    if report::print(&run, &verdicts, bounds) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Reads memory and descriptors every `every`, printing progress every
/// tenth reading unless `quiet`.
async fn sample_loop(
    start: Instant,
    done: Arc<AtomicU64>,
    samples: Arc<std::sync::Mutex<Vec<Sample>>>,
    every: Duration,
    quiet: bool,
) {
    let mut tick = tokio::time::interval(every);
    let mut i = 0u64;
    loop {
        tick.tick().await;
        let Some(s) = sample::now(start.elapsed(), done.load(Ordering::Relaxed)) else { return };
        samples.lock().unwrap_or_else(|e| e.into_inner()).push(s);
        if !quiet && i.is_multiple_of(10) {
            eprintln!(
                "{:>6.0} s  {:>9} done  rss {:>6.1} MiB  fds {}",
                s.at.as_secs_f64(),
                s.done,
                s.rss as f64 / (1 << 20) as f64,
                s.fds
            );
        }
        i += 1;
    }
}
