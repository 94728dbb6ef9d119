//! `baton bench URL`: a load generator built on the baton client, in the
//! manner of h2load and oha. Closed loop by default (`-c` requests in
//! flight); `--rate` makes it open loop. Reports throughput, latency
//! percentiles (hdrhistogram), outcomes by verdict, GOAWAYs, retries and
//! connections; `--json` for machines.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baton::{Client, Error};
use bytes::Bytes;
use hdrhistogram::Histogram;
use http::Method;

use crate::flags;
use crate::journal_json::string as json_string;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The URL to load.
    url: String,
    /// Requests to send (ignored with --duration).
    #[arg(short = 'n', long = "requests", default_value_t = 1000)]
    requests: u64,
    /// Requests in flight at once.
    #[arg(short = 'c', long, default_value_t = 64)]
    concurrency: usize,
    /// HTTP/2 connections per origin the pool may open.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// Run for this many seconds instead of a request count.
    #[arg(short = 'd', long)]
    duration: Option<f64>,
    /// Open loop: start this many requests a second (still at most -c in flight).
    #[arg(long)]
    rate: Option<f64>,
    /// Request method (GET, or POST with --data). Concurrency is -c.
    #[arg(short = 'm', long)]
    method: Option<String>,
    /// Request body; "@FILE" reads a file.
    #[arg(long)]
    data: Option<String>,
    /// A request header, "Name: value" (repeatable).
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    #[command(flatten)]
    connect: flags::Connect,
    /// One JSON object instead of the report.
    #[arg(long)]
    json: bool,
    /// No live progress line.
    #[arg(long)]
    no_progress: bool,
}

/// What every worker shares.
struct Plan {
    client: Client,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Bytes>,
    total: Option<u64>,
    deadline: Option<Instant>,
    /// Open loop: request `i` starts at `start + i / rate`.
    rate: Option<f64>,
    start: Instant,
    next: AtomicU64,
    done: AtomicU64,
    failed: AtomicU64,
}

/// What one worker saw.
struct Tally {
    latency: Histogram<u64>,
    ok: u64,
    bytes: u64,
    failures: BTreeMap<String, u64>,
}

fn usage(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("baton bench: {message}");
    ExitCode::from(2)
}

pub(crate) async fn run(args: Args) -> ExitCode {
    let body = match args.data.as_deref().map(flags::data).transpose() {
        Ok(b) => b.map(Bytes::from),
        Err(e) => return usage(e),
    };
    let method = match (&args.method, &body) {
        (Some(m), _) => match Method::from_bytes(m.as_bytes()) {
            Ok(m) => m,
            Err(_) => return usage(format!("invalid method {m:?}")),
        },
        (None, Some(_)) => Method::POST,
        (None, None) => Method::GET,
    };
    let mut headers = Vec::new();
    for h in &args.headers {
        match flags::header(h) {
            Ok(pair) => headers.push(pair),
            Err(e) => return usage(e),
        }
    }
    let builder = args.connect.apply(Client::builder().max_connections_per_origin(args.connections.max(1)));
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return usage(e),
    };
    // Check the URL and headers once, before any load.
    if let Err(e) = check(&client, &method, &args.url, &headers) {
        return usage(e);
    }
    let start = Instant::now();
    let plan = Arc::new(Plan {
        client,
        method,
        url: args.url.clone(),
        headers,
        body,
        total: args.duration.is_none().then_some(args.requests),
        deadline: args.duration.map(|d| start + Duration::from_secs_f64(d.max(0.0))),
        rate: args.rate.filter(|r| *r > 0.0),
        start,
        next: AtomicU64::new(0),
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let workers: Vec<_> = (0..args.concurrency.max(1)).map(|_| tokio::spawn(worker(plan.clone()))).collect();
    let progress = !args.json && !args.no_progress && std::io::stderr().is_terminal();
    let ticker = progress.then(|| tokio::spawn(show_progress(plan.clone())));
    let mut total = Tally::new();
    for w in workers {
        if let Ok(t) = w.await {
            total.merge(t);
        }
    }
    let elapsed = start.elapsed();
    if let Some(t) = ticker {
        t.abort();
        eprint!("\r\x1b[K");
    }
    let stats = plan.client.stats();
    if args.json {
        println!("{}", json(&total, elapsed, &stats));
    } else {
        report(&total, elapsed, &stats);
    }
    if total.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

/// Builder errors (URL, header) are found without sending anything.
fn check(client: &Client, method: &Method, url: &str, headers: &[(String, String)]) -> Result<(), Error> {
    let mut request = client.request(method.clone(), url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.build().map(drop)
}

async fn worker(plan: Arc<Plan>) -> Tally {
    let mut tally = Tally::new();
    loop {
        let i = plan.next.fetch_add(1, Ordering::Relaxed);
        if plan.total.is_some_and(|n| i >= n) || plan.deadline.is_some_and(|d| Instant::now() >= d) {
            return tally;
        }
        if let Some(rate) = plan.rate {
            let due = plan.start + Duration::from_secs_f64(i as f64 / rate);
            if plan.deadline.is_some_and(|d| due >= d) {
                return tally;
            }
            tokio::time::sleep_until(due.into()).await;
        }
        let started = Instant::now();
        let mut request = plan.client.request(plan.method.clone(), &plan.url);
        for (name, value) in &plan.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &plan.body {
            request = request.body(body.clone());
        }
        match fetch(request).await {
            Ok(bytes) => {
                tally.ok += 1;
                tally.bytes += bytes;
            }
            Err(e) => {
                plan.failed.fetch_add(1, Ordering::Relaxed);
                *tally.failures.entry(outcome(&e)).or_insert(0) += 1;
            }
        }
        let micros = started.elapsed().as_micros().clamp(1, u128::from(u64::MAX)) as u64;
        let _ = tally.latency.record(micros);
        plan.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// Sends and reads the whole body, counting its bytes without keeping them.
async fn fetch(request: baton::RequestBuilder) -> Result<u64, Error> {
    let mut response = request.send().await?;
    let mut n = 0;
    while let Some(chunk) = response.chunk().await? {
        n += chunk.len() as u64;
    }
    Ok(n)
}

/// A failure's verdict and kind, for grouping.
fn outcome(e: &Error) -> String {
    let verdict = e.processing().map_or_else(|| "no verdict".to_owned(), |p| p.to_string());
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_retries_exhausted() {
        "retries exhausted"
    } else if e.is_going_away() {
        "GOAWAY"
    } else {
        "request"
    };
    format!("{verdict} ({kind})")
}

async fn show_progress(plan: Arc<Plan>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let done = plan.done.load(Ordering::Relaxed);
        let secs = plan.start.elapsed().as_secs_f64().max(1e-9);
        let of = plan.total.map_or_else(String::new, |n| format!("/{n}"));
        eprint!(
            "\r\x1b[K{done}{of} requests, {:.0} req/s, {} failed",
            done as f64 / secs,
            plan.failed.load(Ordering::Relaxed)
        );
    }
}

impl Tally {
    fn new() -> Self {
        Self {
            // 1 µs to 1 hour, 3 significant digits: this cannot fail.
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds"),
            ok: 0,
            bytes: 0,
            failures: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: Self) {
        let _ = self.latency.add(&other.latency);
        self.ok += other.ok;
        self.bytes += other.bytes;
        for (k, v) in other.failures {
            *self.failures.entry(k).or_insert(0) += v;
        }
    }

    fn requests(&self) -> u64 {
        self.latency.len()
    }
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn report(t: &Tally, elapsed: Duration, stats: &baton::Stats) {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let failed: u64 = t.failures.values().sum();
    println!("finished in {secs:.3} s");
    println!("requests: {} done, {} succeeded, {failed} failed", t.requests(), t.ok);
    println!(
        "throughput: {:.0} req/s, {:.2} MB/s of response bodies",
        t.requests() as f64 / secs,
        t.bytes as f64 / secs / 1e6
    );
    let h = &t.latency;
    if !h.is_empty() {
        println!(
            "latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            ms(h.value_at_quantile(0.5)),
            ms(h.value_at_quantile(0.9)),
            ms(h.value_at_quantile(0.99)),
            ms(h.value_at_quantile(0.999)),
            ms(h.max())
        );
        histogram(h);
    }
    for (outcome, n) in &t.failures {
        println!("failed: {n} {outcome}");
    }
    let go_aways: Vec<String> = stats
        .go_aways
        .iter()
        .map(|(c, n)| format!("{n} x {}", baton_proto::h2::frame::Reason::new(*c)))
        .collect();
    println!("GOAWAYs received: {}", if go_aways.is_empty() { "0".to_owned() } else { go_aways.join(", ") });
    let retries: Vec<String> = stats.retries.iter().map(|(r, n)| format!("{n} ({r})")).collect();
    println!("retries: {}", if retries.is_empty() { "0".to_owned() } else { retries.join(", ") });
    println!("connections opened: {}", stats.connections_opened);
}

/// Ten buckets from the minimum to the p99.9, with counts and bars.
fn histogram(h: &Histogram<u64>) {
    let lo = h.min();
    let hi = h.value_at_quantile(0.999).max(lo + 1);
    let step = (hi - lo).div_ceil(10).max(1);
    let mut counts = [0u64; 10];
    for v in h.iter_recorded() {
        let i = ((v.value_iterated_to().saturating_sub(lo)) / step).min(9) as usize;
        counts[i] += v.count_at_value();
    }
    let max = counts.iter().copied().max().unwrap_or(1).max(1);
    for (i, c) in counts.iter().enumerate() {
        let upper = lo + step * (i as u64 + 1);
        let bar = "#".repeat((c * 40 / max) as usize);
        println!("  <= {:>9.3} ms {c:>8} {bar}", ms(upper));
    }
}

fn json(t: &Tally, elapsed: Duration, stats: &baton::Stats) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let h = &t.latency;
    let q = |p: f64| if h.is_empty() { 0.0 } else { ms(h.value_at_quantile(p)) };
    let failures: Vec<String> = t.failures.iter().map(|(k, v)| format!("{}:{v}", json_string(k))).collect();
    let go_aways: Vec<String> = stats.go_aways.iter().map(|(c, n)| format!("\"{c}\":{n}")).collect();
    let retries: Vec<String> = stats.retries.iter().map(|(r, n)| format!("{}:{n}", json_string(r))).collect();
    format!(
        "{{\"seconds\":{secs:.6},\"requests\":{},\"succeeded\":{},\"failed\":{},\"req_per_s\":{:.1},\"bytes\":{},\"bytes_per_s\":{:.1},\
         \"latency_ms\":{{\"p50\":{:.3},\"p90\":{:.3},\"p99\":{:.3},\"p999\":{:.3},\"max\":{:.3}}},\
         \"failures\":{{{}}},\"goaways\":{},\"goaways_by_code\":{{{}}},\"retries\":{{{}}},\"connections\":{}}}",
        t.requests(),
        t.ok,
        t.failures.values().sum::<u64>(),
        t.requests() as f64 / secs,
        t.bytes,
        t.bytes as f64 / secs,
        q(0.5),
        q(0.9),
        q(0.99),
        q(0.999),
        if h.is_empty() { 0.0 } else { ms(h.max()) },
        failures.join(","),
        stats.go_aways_total(),
        go_aways.join(","),
        retries.join(","),
        stats.connections_opened
    )
}
