//! `baton demo`: every scenario of DESIGN.md §7 through the baton client,
//! against the lab in-process, with GET, PUT and POST mixed. For each, a row:
//! requests, succeeded, retried, failed as required, unexpected, processed
//! twice, and latency. Anything unexpected makes the exit status non-zero.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::{Body, Client, Processing};
use baton_lab::{DisconnectPoint, Lab, LabOptions, Scenario};
use tokio::sync::Semaphore;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Run only the scenarios whose id or name contains this.
    #[arg(long)]
    only: Option<String>,
}

/// What a failure must look like for a scenario to call it "as required".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowed {
    /// A POST whose outcome is unknown fails MaybeProcessed (rule 2).
    PostMaybeProcessed,
    /// The response had started, then broke (rule 3).
    ResponseStarted,
    /// The attempt cap or the budget ran out on requests never processed.
    RetriesExhausted,
    /// A one-shot body beyond the replay buffer, above last_stream_id.
    NotReplayable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// GET, PUT, POST in turn, small bodies.
    Mixed,
    /// POSTs with 64 KiB replayable bodies.
    BigPosts,
    /// POSTs with 320 KiB one-shot streaming bodies.
    OneShotPosts,
    /// One request at a time with idle pauses (to meet an idle close).
    Paced,
}

struct Case {
    id: &'static str,
    what: &'static str,
    scenario: Scenario,
    path: &'static str,
    requests: usize,
    concurrency: usize,
    shape: Shape,
    http1: bool,
    max_streams: Option<u32>,
    one_connection: bool,
    allowed: &'static [Allowed],
}

fn case(id: &'static str, what: &'static str, scenario: Scenario, allowed: &'static [Allowed]) -> Case {
    Case {
        id,
        what,
        scenario,
        path: "/bytes/100",
        requests: 300,
        concurrency: 32,
        shape: Shape::Mixed,
        http1: false,
        max_streams: None,
        one_connection: false,
        allowed,
    }
}

fn cases() -> Vec<Case> {
    use Allowed::*;
    vec![
        Case {
            shape: Shape::Paced,
            requests: 40,
            concurrency: 1,
            ..case("S1", "GOAWAY crosses a new stream on an idle connection", alb_idle(), &[])
        },
        case("S2", "GOAWAY(N), GETs in flight above and below", Scenario::NginxRotate { requests: 100 }, &[]),
        Case {
            shape: Shape::BigPosts,
            path: "/echo",
            requests: 200,
            ..case(
                "S3",
                "POST with replayable body above last_stream_id",
                Scenario::NginxRotate { requests: 50 },
                &[],
            )
        },
        Case {
            shape: Shape::OneShotPosts,
            path: "/echo",
            requests: 60,
            concurrency: 16,
            ..case(
                "S4",
                "one-shot body beyond the replay buffer",
                Scenario::NginxRotate { requests: 20 },
                &[NotReplayable],
            )
        },
        Case {
            path: "/delay/20",
            requests: 200,
            ..case("S5", "GOAWAY(N) then RST", Scenario::GoawayThenRst { after: 60 }, &[PostMaybeProcessed])
        },
        Case {
            path: "/bytes/100000",
            requests: 100,
            ..case(
                "S6",
                "response body cut by a close",
                Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 60 },
                // The other streams on the cut connection meet S16.
                &[ResponseStarted, PostMaybeProcessed],
            )
        },
        Case {
            shape: Shape::BigPosts,
            path: "/echo",
            requests: 200,
            ..case(
                "S7",
                "S3 and S5 at once",
                Scenario::GoawayThenRst { after: 60 },
                &[PostMaybeProcessed, ResponseStarted],
            )
        },
        case(
            "S8",
            "double GOAWAY (2^31-1 + PING, then N)",
            Scenario::EnvoyDrain { after: 50, ack_timeout: Duration::from_millis(200) },
            &[],
        ),
        Case {
            requests: 1000,
            ..case("S9", "nginx keepalive_requests", Scenario::NginxRotate { requests: 100 }, &[])
        },
        case("S10", "GOAWAY(0) on a fresh connection (Node)", Scenario::NodeClose { connections: 1 }, &[]),
        case(
            "S11",
            "GOAWAY(N, ENHANCE_YOUR_CALM)",
            Scenario::GoawayError { after: 40, code: baton_proto::h2::frame::Reason::ENHANCE_YOUR_CALM },
            &[],
        ),
        Case { requests: 60, ..case("S12", "GOAWAY(0, HTTP_1_1_REQUIRED)", Scenario::Http11Required, &[]) },
        case("S13", "RST_STREAM(REFUSED_STREAM)", Scenario::RefusedStream { every: 7, above: 0 }, &[]),
        Case {
            requests: 120,
            ..case(
                "S14",
                "every connection rotated after 2 requests",
                Scenario::NginxRotate { requests: 2 },
                &[RetriesExhausted],
            )
        },
        case("S15", "GOAWAY, socket left open, HEADERS ignored", Scenario::SilentGoaway { after: 80 }, &[]),
        Case {
            path: "/delay/10",
            requests: 200,
            ..case(
                "S16",
                "close with no GOAWAY",
                Scenario::Disconnect { at: DisconnectPoint::AfterHead, after: 60 },
                &[PostMaybeProcessed],
            )
        },
        Case {
            path: "/delay/5",
            max_streams: Some(4),
            one_connection: true,
            ..case(
                "S17",
                "waiting for a stream slot when GOAWAY arrives",
                Scenario::NginxRotate { requests: 20 },
                &[],
            )
        },
        Case {
            http1: true,
            concurrency: 4,
            requests: 150,
            ..case(
                "S18",
                "HTTP/1.1 keep-alive closed as it is reused",
                Scenario::KeepaliveRace { requests: 2 },
                &[PostMaybeProcessed],
            )
        },
    ]
}

fn alb_idle() -> Scenario {
    Scenario::AlbIdle { after: 1, idle: Duration::from_millis(15) }
}

/// One request's fate.
struct Outcome {
    id: String,
    post: bool,
    latency: Duration,
    attempts: usize,
    error: Option<baton::Error>,
}

/// One scenario's row.
#[derive(Debug, Default)]
struct Row {
    id: &'static str,
    what: &'static str,
    requests: usize,
    succeeded: usize,
    retried: usize,
    failed_as_required: usize,
    unexpected: Vec<String>,
    /// Idempotent requests run a second time after an unknown outcome
    /// (DESIGN.md §3 rule 2 allows exactly that).
    rerun: usize,
    /// Requests processed twice that must not be (a POST, or anything thrice).
    processed_twice: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn allowed(allowed: &[Allowed], o: &Outcome, e: &baton::Error) -> bool {
    allowed.iter().any(|a| allowed_one(*a, o, e))
}

fn allowed_one(allowed: Allowed, o: &Outcome, e: &baton::Error) -> bool {
    match allowed {
        Allowed::PostMaybeProcessed => o.post && e.processing() == Some(Processing::MaybeProcessed),
        Allowed::ResponseStarted => e.processing() == Some(Processing::ResponseStarted),
        Allowed::RetriesExhausted => {
            e.is_retries_exhausted() && e.processing().is_some_and(Processing::is_safe_to_retry)
        }
        Allowed::NotReplayable => {
            e.processing() == Some(Processing::NotProcessed) && e.to_string().contains("not replayable")
        }
    }
}

async fn run_case(case: &Case) -> Result<Row, String> {
    let mut options = LabOptions::new(case.scenario.clone());
    options.max_concurrent_streams = case.max_streams;
    let lab = Lab::start(options).await.map_err(|e| format!("lab: {e}"))?;
    let mut builder = Client::builder().timeout(Duration::from_secs(20));
    builder = if case.http1 { builder.http1_only() } else { builder.http2_prior_knowledge() };
    if case.one_connection {
        builder = builder.max_connections_per_origin(1);
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let outcomes = drive(&client, &lab, case).await;
    let mut row = Row { id: case.id, what: case.what, requests: outcomes.len(), ..Row::default() };
    let mut latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
    latencies.sort_unstable();
    let pick = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    if !latencies.is_empty() {
        (row.p50, row.p99, row.max) = (pick(0.5), pick(0.99), pick(1.0));
    }
    for o in &outcomes {
        match &o.error {
            None => {
                row.succeeded += 1;
                if o.attempts > 1 {
                    row.retried += 1;
                }
            }
            Some(e) if allowed(case.allowed, o, e) => row.failed_as_required += 1,
            Some(e) => row.unexpected.push(format!("{}: {e}", o.id)),
        }
    }
    for (id, count) in lab.ledger().duplicates() {
        let post = outcomes.iter().find(|o| o.id == id).is_some_and(|o| o.post);
        if post || count > 2 {
            row.processed_twice += 1;
            row.unexpected.push(format!("{id}: processed {count} times"));
        } else {
            row.rerun += 1;
        }
    }
    lab.stop().await;
    Ok(row)
}

async fn drive(client: &Client, lab: &Lab, case: &Case) -> Vec<Outcome> {
    let limit = Arc::new(Semaphore::new(case.concurrency));
    let mut tasks = Vec::with_capacity(case.requests);
    for i in 0..case.requests {
        if case.shape == Shape::Paced && i > 0 {
            // Let the connection sit idle about as long as the server waits.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        let Ok(permit) = limit.clone().acquire_owned().await else { break };
        let client = client.clone();
        let url = lab.url(case.path);
        let id = format!("{}-{i}", case.id);
        let shape = case.shape;
        tasks.push(tokio::spawn(async move {
            let (post, request) = match (shape, i % 3) {
                (Shape::BigPosts, _) => (true, client.post(&url).body(vec![b'b'; 64 << 10])),
                (Shape::OneShotPosts, _) => (true, client.post(&url).body(one_shot_body())),
                (_, 0) => (false, client.get(&url)),
                (_, 1) => (false, client.put(&url).body("put")),
                _ => (true, client.post(&url).body("post")),
            };
            let start = Instant::now();
            let result = async {
                let resp = request.header("x-request-id", &id).send().await?;
                let attempts = resp.attempts().len();
                resp.bytes().await?;
                Ok::<_, baton::Error>(attempts)
            }
            .await;
            drop(permit);
            let latency = start.elapsed();
            match result {
                Ok(attempts) => Outcome { id, post, latency, attempts, error: None },
                Err(e) => Outcome { id, post, latency, attempts: e.attempts().len(), error: Some(e) },
            }
        }));
    }
    let mut outcomes = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(o) = t.await {
            outcomes.push(o);
        }
    }
    outcomes
}

/// 320 KiB in 16 KiB chunks, readable once: past the 256 KiB replay buffer.
fn one_shot_body() -> Body {
    struct Chunks(usize);
    impl http_body::Body for Chunks {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            if self.0 == 0 {
                return std::task::Poll::Ready(None);
            }
            self.0 -= 1;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from_static(
                &[b'o'; 16 << 10],
            )))))
        }
    }
    Body::wrap(Chunks(20))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn print_table(rows: &[Row]) {
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
        println!(
            "{:<4} {:<48} {:>5} {:>5} {:>7} {:>9} {:>10} {:>6} {:>6} {:>7} {:>7} {:>7}",
            r.id,
            r.what,
            r.requests,
            r.succeeded,
            r.retried,
            r.failed_as_required,
            r.unexpected.len(),
            r.processed_twice,
            r.rerun,
            ms(r.p50),
            ms(r.p99),
            ms(r.max)
        );
    }
}

fn print_json(rows: &[Row]) {
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            let unexpected: Vec<String> = r.unexpected.iter().map(|u| crate::journal_json::string(u)).collect();
            format!(
                "{{\"id\":{},\"scenario\":{},\"requests\":{},\"succeeded\":{},\"retried\":{},\"failed_as_required\":{},\"unexpected\":[{}],\"processed_twice\":{},\"rerun\":{},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{}}}",
                crate::journal_json::string(r.id),
                crate::journal_json::string(r.what),
                r.requests,
                r.succeeded,
                r.retried,
                r.failed_as_required,
                unexpected.join(","),
                r.processed_twice,
                r.rerun,
                ms(r.p50),
                ms(r.p99),
                ms(r.max)
            )
        })
        .collect();
    println!("{{\"scenarios\":[{}]}}", items.join(","));
}

pub(crate) async fn run(args: Args) -> ExitCode {
    let selected: Vec<Case> = cases()
        .into_iter()
        .filter(|c| args.only.as_deref().is_none_or(|f| c.id.contains(f) || c.what.contains(f)))
        .collect();
    let mut rows = Vec::new();
    let mut problems: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in &selected {
        if !args.json {
            eprintln!("{} {} ({}) ...", case.id, case.what, case.scenario.name());
        }
        match run_case(case).await {
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
    }
    if args.json {
        print_json(&rows);
    } else {
        print_table(&rows);
        for (id, list) in &problems {
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
    if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
