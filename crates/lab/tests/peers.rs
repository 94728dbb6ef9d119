//! The lab against HTTP clients nobody on the team wrote: hyper-util's legacy
//! client, reqwest, h2load, curl and nghttp.
//!
//! - Well behaved (`normal`), every peer gets every response, and the ledger
//!   shows each request id processed exactly once (plaintext and TLS).
//! - Misbehaving, the peers fail the way their public issues report (e.g.
//!   hyperium/hyper#2500: a GOAWAY surfaces as errors for the streams above
//!   last_stream_id), while the ledger proves those requests were never
//!   processed: the lab reproduces the real thing.
//! - Where a client and the lab disagree, a frame-logging proxy between them
//!   decides who is wrong ([`Audit`]): the tests fail when the lab
//!   contradicted its own frames, and print the clients' faults with the
//!   frames that prove them (hyper's h2 client can fail a request the lab
//!   answered in full, and reqwest then sends it again).
//!
//! Each client run prints one row of the table
//! `| scenario | client | requests | succeeded | errors | processed |
//! failed but processed | duplicates | error kinds |` (run with
//! `--nocapture`). Counts that depend on timing are printed, never asserted:
//! the assertions are qualitative ("errors happen", "nothing that failed was
//! processed", "the lab processed nothing it had declared unprocessed").

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use baton_lab::{Lab, LabOptions, REQUEST_ID_HEADER, Scenario};
use bytes::Bytes;
use http::{Method, StatusCode, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::task::JoinSet;

use common::{ToolOutput, h2load_requests_line, parse_h2load_requests, run_tool, temp_path, tool_or_skip};

/// Requests in flight per client run (the brief: 32-64).
const CONCURRENCY: usize = 48;
/// Requests per client against the well-behaved lab.
const NORMAL_REQUESTS: usize = 5_000;
/// A whole client run never takes longer than this.
const RUN_LIMIT: Duration = Duration::from_secs(40);
/// One request against the well-behaved lab (generous: debug build, 2 cores).
const NORMAL_REQUEST_LIMIT: Duration = Duration::from_secs(10);
/// One request against a misbehaving lab: a client that hangs shows up as a
/// "timeout" error instead of hanging the test.
const FAULT_REQUEST_LIMIT: Duration = Duration::from_secs(2);
/// One external tool run.
const TOOL_LIMIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Requests and clients
// ---------------------------------------------------------------------------

/// One request: what to send and how long the response body must be.
#[derive(Debug, Clone)]
struct Req {
    method: Method,
    path: String,
    body: Bytes,
    expect_len: Option<usize>,
}

impl Req {
    fn get(path: &str, expect_len: usize) -> Self {
        Self { method: Method::GET, path: path.to_owned(), body: Bytes::new(), expect_len: Some(expect_len) }
    }
}

/// The normal-scenario mix: mostly small GETs, some echoed POST bodies and
/// some responses with trailers.
fn mixed(i: usize) -> Req {
    match i % 10 {
        0 => {
            let body = Bytes::from(format!("body of request {i}").repeat(1 + i % 7));
            let len = body.len();
            Req { method: Method::POST, path: "/echo".to_owned(), body, expect_len: Some(len) }
        }
        1 => Req::get("/trailers", "body with trailers".len()),
        _ => Req::get("/bytes/100", 100),
    }
}

fn small_get(_: usize) -> Req {
    Req::get("/bytes/100", 100)
}

/// The clients under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// `hyper_util::client::legacy::Client`, HTTP/2 prior knowledge.
    Hyper,
    /// `reqwest::Client`, HTTP/2 prior knowledge (or ALPN over TLS).
    Reqwest,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Self::Hyper => "hyper-util",
            Self::Reqwest => "reqwest",
        }
    }
}

/// The whole error chain, `a: b: c`, so the h2 reason is visible.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn check_response(status: StatusCode, version: Version, len: usize, req: &Req) -> Result<(), String> {
    if status != StatusCode::OK {
        return Err(format!("status {status}"));
    }
    if version != Version::HTTP_2 {
        return Err(format!("version {version:?}, not HTTP/2"));
    }
    match req.expect_len {
        Some(want) if want != len => Err(format!("body of {len} bytes, expected {want}")),
        _ => Ok(()),
    }
}

type HyperClient = Client<HttpConnector, Full<Bytes>>;

fn hyper_client() -> HyperClient {
    Client::builder(TokioExecutor::new()).http2_only(true).build_http()
}

async fn hyper_fetch(client: HyperClient, base: String, id: String, req: Req) -> Result<(), String> {
    let request = http::Request::builder()
        .method(req.method.clone())
        .uri(format!("{base}{}", req.path))
        .header(REQUEST_ID_HEADER, &id)
        .body(Full::new(req.body.clone()))
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| chain(&e))?;
    let (status, version) = (response.status(), response.version());
    let body = response.into_body().collect().await.map_err(|e| chain(&e))?.to_bytes();
    check_response(status, version, body.len(), &req)
}

fn reqwest_client() -> reqwest::Client {
    reqwest::Client::builder().http2_prior_knowledge().build().unwrap()
}

async fn reqwest_fetch(client: reqwest::Client, base: String, id: String, req: Req) -> Result<(), String> {
    let response = client
        .request(req.method.clone(), format!("{base}{}", req.path))
        .header(REQUEST_ID_HEADER, &id)
        .body(req.body.clone())
        .send()
        .await
        .map_err(|e| chain(&e))?;
    let (status, version) = (response.status(), response.version());
    let body = response.bytes().await.map_err(|e| chain(&e))?;
    check_response(status, version, body.len(), &req)
}

/// The outcome of one client run, per request id.
#[derive(Debug)]
struct Run {
    client: &'static str,
    requests: usize,
    ok: Vec<String>,
    failed: Vec<(String, String)>,
    elapsed: Duration,
}

/// Sends `n` requests, `CONCURRENCY` at a time, each with its own
/// `x-request-id` (`{tag}-{i}`) and each bounded by `per_request`; the whole
/// run is bounded by `RUN_LIMIT`.
async fn drive<F, Fut>(client: &'static str, tag: &str, n: usize, per_request: Duration, fetch: F) -> Run
where
    F: Fn(usize, String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY.min(n) {
        let (next, fetch, tag) = (next.clone(), fetch.clone(), tag.to_owned());
        workers.spawn(async move {
            let mut results = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return results;
                }
                let id = format!("{tag}-{i}");
                let result = match tokio::time::timeout(per_request, fetch(i, id.clone())).await {
                    Ok(result) => result,
                    Err(_) => Err(format!("timeout: no response within {per_request:?}")),
                };
                results.push((id, result));
            }
        });
    }
    let collect = async {
        let mut all = Vec::with_capacity(n);
        while let Some(joined) = workers.join_next().await {
            all.extend(joined.unwrap());
        }
        all
    };
    let results = tokio::time::timeout(RUN_LIMIT, collect)
        .await
        .unwrap_or_else(|_| panic!("{client} run {tag} took longer than {RUN_LIMIT:?}"));
    let mut run = Run { client, requests: n, ok: Vec::new(), failed: Vec::new(), elapsed: start.elapsed() };
    for (id, result) in results {
        match result {
            Ok(()) => run.ok.push(id),
            Err(e) => run.failed.push((id, e)),
        }
    }
    run
}

/// Runs `n` requests from `peer` against `base` (`http://host:port`).
async fn run_peer(
    peer: Peer,
    base: &str,
    tag: &str,
    n: usize,
    per_request: Duration,
    make: fn(usize) -> Req,
) -> Run {
    let base = base.to_owned();
    let tag = format!("{}-{tag}", peer.name());
    match peer {
        Peer::Hyper => {
            let client = hyper_client();
            drive(peer.name(), &tag, n, per_request, move |i, id| {
                hyper_fetch(client.clone(), base.clone(), id, make(i))
            })
            .await
        }
        Peer::Reqwest => {
            let client = reqwest_client();
            drive(peer.name(), &tag, n, per_request, move |i, id| {
                reqwest_fetch(client.clone(), base.clone(), id, make(i))
            })
            .await
        }
    }
}

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

/// What a run did, as the client and the lab's ledger see it.
#[derive(Debug)]
struct Tally {
    requests: usize,
    ok: usize,
    errors: usize,
    /// Requests the lab processed (ledger), all ids.
    processed: u64,
    /// Failed requests whose id the lab nevertheless processed.
    failed_processed: usize,
    /// Succeeded requests whose id the lab did not process exactly once.
    ok_not_once: usize,
    duplicates: usize,
    /// Streams the lab refused (REFUSED_STREAM), retries included.
    refused: u64,
    /// Errors by kind.
    kinds: BTreeMap<&'static str, usize>,
}

/// A short name for what went wrong, from the error chain.
fn kind(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.starts_with("timeout") {
        "timeout"
    } else if m.contains("refused stream") {
        "REFUSED_STREAM"
    } else if m.contains("requires http/1.1") {
        "HTTP_1_1_REQUIRED"
    } else if m.contains("connection error received: not a result of an error") {
        "GOAWAY(NO_ERROR)"
    } else if m.contains("connection error received") {
        "GOAWAY(error)"
    } else if m.contains("reset") {
        "connection reset"
    } else if m.contains("broken pipe") {
        // h2's name for EOF on a stream that was still open.
        "closed (EOF)"
    } else if m.contains("body") || m.contains("unexpected end") || m.contains("decoding response") {
        "body cut"
    } else if m.contains("closed") || m.contains("canceled") || m.contains("eof") {
        "connection closed"
    } else {
        "other"
    }
}

fn header_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        println!(
            "| scenario | client | requests | succeeded | errors | processed | failed but processed | duplicates | error kinds |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
    });
}

/// Compares the run with the ledger and prints the table row (and one
/// example message per error kind).
fn tally(scenario: &str, lab: &Lab, run: &Run) -> Tally {
    let ledger = lab.ledger();
    let mut kinds = BTreeMap::new();
    let mut examples: BTreeMap<&'static str, &str> = BTreeMap::new();
    for (_, e) in &run.failed {
        let k = kind(e);
        *kinds.entry(k).or_insert(0) += 1;
        examples.entry(k).or_insert(e);
    }
    let t = Tally {
        requests: run.requests,
        ok: run.ok.len(),
        errors: run.failed.len(),
        processed: ledger.stats().processed,
        failed_processed: run.failed.iter().filter(|(id, _)| ledger.count(id) > 0).count(),
        ok_not_once: run.ok.iter().filter(|id| ledger.count(id) != 1).count(),
        duplicates: ledger.duplicates().len(),
        refused: ledger.stats().refused,
        kinds,
    };
    let kinds_text = if t.kinds.is_empty() {
        "-".to_owned()
    } else {
        t.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
    };
    header_once();
    println!(
        "| {scenario} | {} | {} | {} | {} | {} | {} | {} | {kinds_text} |",
        run.client, t.requests, t.ok, t.errors, t.processed, t.failed_processed, t.duplicates
    );
    for (k, e) in examples {
        println!("    {scenario} / {}: e.g. {k}: {e}", run.client);
    }
    let stats = ledger.stats();
    println!(
        "    {scenario} / {}: {:?}; ledger refused {} ignored {} connections {} GOAWAYs {}",
        run.client, run.elapsed, stats.refused, stats.ignored, stats.connections, stats.go_aways
    );
    t
}

async fn start(name: &str, params: &[(&str, &str)]) -> Lab {
    let params: Vec<(String, String)> =
        params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let scenario = Scenario::parse(name, &params).unwrap();
    Lab::start(LabOptions::new(scenario)).await.unwrap()
}

fn label(name: &str, params: &[(&str, &str)]) -> String {
    let mut text = name.to_owned();
    for (k, v) in params {
        text.push_str(&format!(" {k}={v}"));
    }
    text
}

/// How a fault run reaches the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Straight to the lab (needed where the lab's RST must reach the client).
    Direct,
    /// Through [`frame_log_proxy`], so that every anomaly can be audited
    /// against the frames that actually crossed the wire.
    FrameLog,
}

/// A fault run's outcome: the table row and, through the frame log, the audit.
#[derive(Debug)]
struct FaultRun {
    tally: Tally,
    audit: Option<Audit>,
}

/// A fresh lab for one client: runs `n` GETs of /bytes/100, tallies and,
/// with [`Route::FrameLog`], audits.
async fn fault_run(peer: Peer, name: &str, params: &[(&str, &str)], n: usize, route: Route) -> FaultRun {
    let lab = start(name, params).await;
    let mut scenario = label(name, params);
    let (base, log) = match route {
        Route::Direct => (lab.url(""), None),
        Route::FrameLog => {
            let (addr, log) = frame_log_proxy(lab.addr()).await;
            scenario.push_str(" [frame log]");
            (format!("http://{addr}"), Some(log))
        }
    };
    let run = run_peer(peer, &base, name, n, FAULT_REQUEST_LIMIT, small_get).await;
    let tally = tally(&scenario, &lab, &run);
    let audit = match log {
        Some(log) => {
            // The proxy records before it forwards; this is for the frames
            // that were still in flight when the last client call returned.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let frames = FrameLog::new(log.lock().unwrap().clone());
            Some(audit(&scenario, &run, &lab, &frames))
        }
        None => None,
    };
    lab.stop().await;
    FaultRun { tally, audit }
}

/// h2load against a fresh lab with this scenario; prints its "requests:" line.
async fn h2load_fault(name: &str, params: &[(&str, &str)], n: usize) {
    let Some(h2load) = tool_or_skip("h2load", &format!("h2load against {name}")) else { return };
    let lab = start(name, params).await;
    let args = vec![
        "-n".into(),
        n.to_string(),
        "-c".into(),
        "2".into(),
        "-m".into(),
        "16".into(),
        "--connection-inactivity-timeout=2".into(),
        lab.url("/bytes/100"),
    ];
    let out = run_tool(&h2load, args, TOOL_LIMIT).await;
    let line = h2load_requests_line(&out.stdout).unwrap_or("(no requests: line: killed at the time limit?)");
    let stats = lab.ledger().stats();
    println!(
        "h2load | {} | {line} | ledger processed {} refused {} ignored {} connections {}",
        label(name, params),
        stats.processed,
        stats.refused,
        stats.ignored,
        stats.connections
    );
    lab.stop().await;
}

/// No request processed twice, a succeeded request processed exactly once,
/// every request with an outcome.
fn assert_no_duplicates(what: &str, t: &Tally) {
    assert_eq!(t.duplicates, 0, "{what}: a request was processed twice");
    assert_eq!(t.ok_not_once, 0, "{what}: a succeeded request was not processed exactly once");
    assert_eq!(t.ok + t.errors, t.requests, "{what}: every request has an outcome");
}

/// The GOAWAY/REFUSED_STREAM contract seen from the ledger: whatever failed
/// was not processed, so it would have been safe to retry.
fn assert_failed_not_processed(what: &str, t: &Tally) {
    assert_eq!(t.failed_processed, 0, "{what}: a failed request was processed by the lab");
}

/// Failed requests the lab processed anyway are all ones the frames show it
/// accepted (at or below every GOAWAY, not refused): the client's doing.
fn assert_failed_processed_explained(what: &str, run: &FaultRun) {
    let audit = run.audit.as_ref().expect("a frame-log run");
    assert!(
        run.tally.failed_processed <= audit.client_faults.len(),
        "{what}: {} failed request(s) processed, {} explained by the frames",
        run.tally.failed_processed,
        audit.client_faults.len()
    );
}

/// The lab never contradicted its own frames.
fn assert_lab_consistent(what: &str, run: &FaultRun) {
    let audit = run.audit.as_ref().expect("a frame-log run");
    assert!(audit.lab_faults.is_empty(), "{what}: the lab contradicted its frames: {:#?}", audit.lab_faults);
}

// ---------------------------------------------------------------------------
// 1. Well behaved
// ---------------------------------------------------------------------------

fn assert_clean(what: &str, t: &Tally) {
    assert_eq!(t.errors, 0, "{what}: errors against the well-behaved lab: {:?}", t.kinds);
    assert_eq!(t.processed, t.requests as u64, "{what}: ledger processed");
    assert_no_duplicates(what, t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_hyper_util_thousands_without_error() {
    let lab = start("normal", &[]).await;
    let run =
        run_peer(Peer::Hyper, &lab.url(""), "normal", NORMAL_REQUESTS, NORMAL_REQUEST_LIMIT, mixed).await;
    let t = tally("normal", &lab, &run);
    lab.stop().await;
    assert_clean("hyper-util normal", &t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_reqwest_thousands_without_error() {
    let lab = start("normal", &[]).await;
    let run =
        run_peer(Peer::Reqwest, &lab.url(""), "normal", NORMAL_REQUESTS, NORMAL_REQUEST_LIMIT, mixed).await;
    let t = tally("normal", &lab, &run);
    lab.stop().await;
    assert_clean("reqwest normal", &t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_reqwest_over_tls_negotiates_h2() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let cert = reqwest::Certificate::from_der(lab.certificate().unwrap().cert.as_ref()).unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let base = lab.url("");
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let run = drive("reqwest (TLS, ALPN h2)", "reqwest-tls", 1_000, NORMAL_REQUEST_LIMIT, move |i, id| {
        // check_response insists on HTTP/2: ALPN must have picked h2.
        reqwest_fetch(client.clone(), base.clone(), id, mixed(i))
    })
    .await;
    let t = tally("normal (TLS)", &lab, &run);
    lab.stop().await;
    assert_clean("reqwest normal over TLS", &t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_curl_over_tls_with_cacert() {
    let Some(curl) = tool_or_skip("curl", "curl over TLS") else { return };
    let lab = Lab::start(LabOptions::new(Scenario::Normal).tls()).await.unwrap();
    let pem = temp_path("lab.pem");
    std::fs::write(&pem, &lab.certificate().unwrap().cert_pem).unwrap();
    let mut outputs = Vec::new();
    for i in 0..3 {
        let args = vec![
            "-sS".into(),
            "--http2".into(),
            "--cacert".into(),
            pem.display().to_string(),
            "-H".into(),
            format!("{REQUEST_ID_HEADER}: curl-tls-{i}"),
            "-o".into(),
            "/dev/null".into(),
            "-w".into(),
            "%{http_code} %{http_version} %{size_download}".into(),
            lab.url("/bytes/100"),
        ];
        outputs.push(run_tool(&curl, args, TOOL_LIMIT).await);
    }
    let counts: Vec<u32> = (0..3).map(|i| lab.ledger().count(&format!("curl-tls-{i}"))).collect();
    lab.stop().await;
    let _ = std::fs::remove_file(&pem);
    for out in &outputs {
        println!("curl --cacert over TLS: {} {}", out.stdout, out.stderr.trim());
        assert!(out.success(), "curl failed: {}", out.stderr);
        assert_eq!(out.stdout.trim(), "200 2 100", "ALPN h2, status, body");
    }
    assert_eq!(counts, vec![1, 1, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_h2load_twenty_thousand() {
    let Some(h2load) = tool_or_skip("h2load", "h2load against normal") else { return };
    let lab = start("normal", &[]).await;
    let args =
        ["-n", "20000", "-c", "4", "-m", "32"].iter().map(|s| (*s).to_owned()).chain([lab.url("/bytes/100")]);
    let out = run_tool(&h2load, args.collect(), TOOL_LIMIT).await;
    let stats = lab.ledger().stats();
    lab.stop().await;
    println!(
        "h2load | normal | {} | ledger processed {}",
        h2load_requests_line(&out.stdout).unwrap_or("?"),
        stats.processed
    );
    assert!(out.success(), "h2load: {:?}\n{}\n{}", out.status, out.stdout, out.stderr);
    let r = parse_h2load_requests(&out.stdout).unwrap();
    assert_eq!((r.total, r.done, r.succeeded), (20_000, 20_000, 20_000), "{r:?}");
    assert_eq!((r.failed, r.errored, r.timeout), (0, 0, 0), "{r:?}");
    assert_eq!(stats.processed, 20_000);
    assert_eq!(stats.connections, 4);
}

/// One curl invocation per request: curl 7.88.1 fails the second request on
/// a reused h2c prior-knowledge connection with "Error in the HTTP2 framing
/// layer" — against nginx too, so it is curl's bug, not the lab's.
fn curl_args(id: &str, url: String, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-sS".into(),
        "--http2-prior-knowledge".into(),
        "-H".into(),
        format!("{REQUEST_ID_HEADER}: {id}"),
        "-w".into(),
        "\n%{http_code} %{http_version} %{size_download}".into(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.push(url);
    args
}

/// One curl request: what to ask and what must come back.
struct CurlCase {
    id: &'static str,
    path: &'static str,
    extra: &'static [&'static str],
    /// The exact body, when checked.
    body: Option<&'static str>,
    size: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_curl_prior_knowledge() {
    let Some(curl) = tool_or_skip("curl", "curl against normal") else { return };
    let lab = start("normal", &[]).await;
    let cases = [
        CurlCase { id: "curl-bytes-0", path: "/bytes/100", extra: &[], body: None, size: 100 },
        CurlCase { id: "curl-bytes-1", path: "/bytes/100000", extra: &[], body: None, size: 100_000 },
        CurlCase {
            id: "curl-trailers",
            path: "/trailers",
            extra: &[],
            body: Some("body with trailers"),
            size: 18,
        },
        CurlCase {
            id: "curl-echo",
            path: "/echo",
            extra: &["--data-binary", "hello from curl"],
            body: Some("hello from curl"),
            size: 15,
        },
        CurlCase { id: "curl-headers", path: "/headers/4000", extra: &[], body: Some("ok"), size: 2 },
        CurlCase {
            id: "curl-stream",
            path: "/stream/3000?chunk=1000&interval=2",
            extra: &[],
            body: None,
            size: 3000,
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let out = run_tool(&curl, curl_args(case.id, lab.url(case.path), case.extra), TOOL_LIMIT).await;
        let (printed, summary) = out.stdout.rsplit_once('\n').unwrap_or(("", out.stdout.as_str()));
        println!("curl {}: {summary} {}", case.path, out.stderr.trim());
        let want = format!("200 2 {}", case.size);
        if !out.success() || summary != want || case.body.is_some_and(|b| printed != b) {
            failures
                .push(format!("{}: {:?} {summary:?} (want {want:?}) {}", case.path, out.status, out.stderr));
        }
    }
    let counts: Vec<u32> = cases.iter().map(|case| lab.ledger().count(case.id)).collect();
    lab.stop().await;
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(counts.iter().all(|&c| c == 1), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_nghttp() {
    let Some(nghttp) = tool_or_skip("nghttp", "nghttp against normal") else { return };
    let lab = start("normal", &[]).await;
    let upload = temp_path("upload.txt");
    std::fs::write(&upload, "hello from nghttp").unwrap();
    let upload_arg = upload.display().to_string();
    let hundred_x = "x".repeat(100);
    // (id, path, extra args, what stdout must contain)
    let cases: Vec<(&str, &str, Vec<&str>, &str)> = vec![
        ("nghttp-bytes", "/bytes/100", vec![], &hundred_x),
        ("nghttp-trailers", "/trailers", vec!["-v"], "x-checksum: abc123"),
        ("nghttp-echo", "/echo", vec!["-d", &upload_arg], "hello from nghttp"),
        ("nghttp-large-headers", "/headers/20000", vec!["-v"], "x-large-100:"),
    ];
    let mut failures = Vec::new();
    for (id, path, extra, want) in &cases {
        let mut args: Vec<String> = vec!["-H".into(), format!("{REQUEST_ID_HEADER}: {id}")];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.push(lab.url(path));
        let out: ToolOutput = run_tool(&nghttp, args, TOOL_LIMIT).await;
        let ok = out.success() && out.stdout.contains(want);
        println!("nghttp {path}: exit {:?}, found {want:?}: {ok}", out.status);
        if !ok {
            failures.push(format!("{path}: {:?}\n{}\n{}", out.status, out.stdout, out.stderr));
        }
    }
    let counts: Vec<u32> = cases.iter().map(|(id, ..)| lab.ledger().count(id)).collect();
    lab.stop().await;
    let _ = std::fs::remove_file(&upload);
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(counts.iter().all(|&c| c == 1), "{counts:?}");
}

// ---------------------------------------------------------------------------
// 2. Misbehaving scenarios
// ---------------------------------------------------------------------------
//
// The GOAWAY scenarios run through the frame log: hyper's h2 client can
// report a GOAWAY error for a stream the lab answered in full (see
// `Audit`), and reqwest then retries it, so "nothing processed twice" is not
// something these clients guarantee. What the tests do guarantee is that
// the lab never contradicted its own frames; the clients' own faults are
// printed with the frames that prove them.

/// nginx keepalive_requests: hyper-util surfaces the GOAWAY as errors for
/// the streams above last_stream_id (hyperium/hyper#2500), and the ledger
/// shows none of them was processed; reqwest retries them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_rotate() {
    let params = [("requests", "100")];
    let hyper = fault_run(Peer::Hyper, "nginx-rotate", &params, 2_000, Route::FrameLog).await;
    let reqwest = fault_run(Peer::Reqwest, "nginx-rotate", &params, 2_000, Route::FrameLog).await;
    h2load_fault("nginx-rotate", &params, 2_000).await;

    assert!(hyper.tally.errors > 0, "hyper-util should lose requests to the GOAWAY (hyper#2500)");
    assert!(hyper.tally.kinds.contains_key("GOAWAY(NO_ERROR)"), "{:?}", hyper.tally.kinds);
    assert_lab_consistent("hyper-util nginx-rotate", &hyper);
    assert_failed_processed_explained("hyper-util nginx-rotate", &hyper);
    assert_no_duplicates("hyper-util nginx-rotate", &hyper.tally);
    assert_lab_consistent("reqwest nginx-rotate", &reqwest);
}

/// RST_STREAM(REFUSED_STREAM) on every 10th stream: hyper-util surfaces each
/// one as an error; reqwest retries them (its default policy retries
/// "protocol NACKs", at most twice per request). RFC 9113 §8.7: a refused
/// stream was not processed — the ledger agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_stream() {
    let params = [("every", "10")];
    let hyper = fault_run(Peer::Hyper, "refused-stream", &params, 2_000, Route::FrameLog).await;
    let reqwest = fault_run(Peer::Reqwest, "refused-stream", &params, 2_000, Route::FrameLog).await;
    h2load_fault("refused-stream", &params, 2_000).await;

    let h = &hyper.tally;
    assert!(h.errors > 0, "hyper-util should surface REFUSED_STREAM");
    assert_eq!(h.kinds.get("REFUSED_STREAM"), Some(&h.errors), "{:?}", h.kinds);
    assert_failed_not_processed("hyper-util refused-stream", h);
    assert_no_duplicates("hyper-util refused-stream", h);
    assert_lab_consistent("hyper-util refused-stream", &hyper);
    let r = &reqwest.tally;
    assert!(r.refused > r.errors as u64, "reqwest retries refused streams ({} refused)", r.refused);
    assert!(r.kinds.keys().all(|k| *k == "REFUSED_STREAM"), "{:?}", r.kinds);
    assert_failed_not_processed("reqwest refused-stream", r);
    assert_no_duplicates("reqwest refused-stream", r);
    assert_lab_consistent("reqwest refused-stream", &reqwest);
}

/// GOAWAY(N) then a close with RST (SO_LINGER 0), straight to the client (a
/// proxy would turn the RST into a FIN). ↑ streams fail with the GOAWAY; ↓
/// streams awaiting their response die with the connection ("connection
/// reset"/EOF) and may have been processed — the client cannot tell, which
/// is S5's point. hyper-util never sends a request twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaway_then_rst() {
    let params = [("after", "10")];
    let hyper = fault_run(Peer::Hyper, "goaway-then-rst", &params, 500, Route::Direct).await;
    let reqwest = fault_run(Peer::Reqwest, "goaway-then-rst", &params, 500, Route::Direct).await;
    h2load_fault("goaway-then-rst", &params, 500).await;
    assert!(hyper.tally.errors > 0, "hyper-util: the RST must cost requests");
    assert_no_duplicates("hyper-util goaway-then-rst", &hyper.tally);
    assert!(reqwest.tally.errors > 0, "reqwest: the RST must cost requests");
}

/// GOAWAY(N) and the socket left open. hyper's h2 fails the ↑ streams at
/// once and closes the connection itself when its ↓ streams are done, so
/// the ↑ requests fail fast instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_goaway() {
    let params = [("after", "10")];
    let hyper = fault_run(Peer::Hyper, "silent-goaway", &params, 300, Route::FrameLog).await;
    let reqwest = fault_run(Peer::Reqwest, "silent-goaway", &params, 300, Route::FrameLog).await;
    h2load_fault("silent-goaway", &params, 300).await;
    for (peer, run) in [("hyper-util", &hyper), ("reqwest", &reqwest)] {
        let what = format!("{peer} silent-goaway");
        assert!(
            run.tally.kinds.contains_key("GOAWAY(NO_ERROR)"),
            "{what}: the ↑ streams fail: {:?}",
            run.tally.kinds
        );
        assert_lab_consistent(&what, run);
        assert_failed_processed_explained(&what, run);
    }
    assert_no_duplicates("hyper-util silent-goaway", &hyper.tally);
}

/// Node's session.close(): GOAWAY(0) on the first connection. Every request
/// that went to it fails in hyper-util (last_stream_id 0 is a real id:
/// nothing was processed); reqwest retries them on a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_close() {
    let params = [("connections", "1")];
    let hyper = fault_run(Peer::Hyper, "node-close", &params, 500, Route::FrameLog).await;
    let reqwest = fault_run(Peer::Reqwest, "node-close", &params, 500, Route::FrameLog).await;
    h2load_fault("node-close", &params, 500).await;

    assert!(hyper.tally.errors > 0, "hyper-util fails the requests on the GOAWAY(0) connection");
    assert_failed_not_processed("hyper-util node-close", &hyper.tally);
    assert_no_duplicates("hyper-util node-close", &hyper.tally);
    assert_lab_consistent("hyper-util node-close", &hyper);
    assert_failed_not_processed("reqwest node-close", &reqwest.tally);
    assert_no_duplicates("reqwest node-close", &reqwest.tally);
    assert_lab_consistent("reqwest node-close", &reqwest);
}

/// Envoy's double GOAWAY (2^31-1 + PING, then the real last id). After the
/// first GOAWAY h2 opens no new stream on the connection, so requests that
/// reach it fail in hyper-util. This is where hyper's race shows most (the
/// first GOAWAY lands while streams are being opened): hyper-util fails
/// requests the lab answered in full, and reqwest retries them — processed
/// twice. The audit proves each such case from the frames.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envoy_drain() {
    let params = [("after", "50")];
    let hyper = fault_run(Peer::Hyper, "envoy-drain", &params, 1_000, Route::FrameLog).await;
    let reqwest = fault_run(Peer::Reqwest, "envoy-drain", &params, 1_000, Route::FrameLog).await;
    h2load_fault("envoy-drain", &params, 1_000).await;
    assert_no_duplicates("hyper-util envoy-drain", &hyper.tally);
    assert_lab_consistent("hyper-util envoy-drain", &hyper);
    assert_failed_processed_explained("hyper-util envoy-drain", &hyper);
    assert_lab_consistent("reqwest envoy-drain", &reqwest);
}

/// GOAWAY(0, HTTP_1_1_REQUIRED): neither client falls back to HTTP/1.1 with
/// prior knowledge; every request fails (almost all with that code; hyper-
/// util's pool occasionally cancels a queued one as "connection was not
/// ready") and nothing is processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http11_required() {
    for peer in [Peer::Hyper, Peer::Reqwest] {
        let t = fault_run(peer, "http11-required", &[], 100, Route::Direct).await.tally;
        let what = format!("{} http11-required", peer.name());
        assert_eq!(t.errors, t.requests, "{what}");
        assert!(t.kinds.get("HTTP_1_1_REQUIRED").is_some_and(|&n| n > 0), "{what}: {:?}", t.kinds);
        assert_eq!(t.processed, 0, "{what}");
    }
    h2load_fault("http11-required", &[], 100).await;
}

/// A close with no GOAWAY (S16): the clients fail whatever was in flight and
/// retry none of it (no duplicates). after-head: the N-th request and those
/// after it were not processed, the ones before it were answered in full;
/// mid-response: the N-th (and whatever was dispatched after it) was
/// processed and its body cut — a client cannot tell the two apart, which is
/// why RFC 9113 §6.8 says it must assume any of them may have been processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect() {
    for at in ["after-head", "mid-response"] {
        let params = [("at", at), ("after", "10")];
        for peer in [Peer::Hyper, Peer::Reqwest] {
            let t = fault_run(peer, "disconnect", &params, 500, Route::Direct).await.tally;
            let what = format!("{} disconnect at={at}", peer.name());
            assert!(t.errors > 0, "{what}");
            assert_no_duplicates(&what, &t);
            if at == "after-head" {
                assert!(t.ok > 0, "{what}: the requests before the N-th are answered");
                assert_failed_not_processed(&what, &t);
            } else {
                assert!(t.failed_processed > 0, "{what}: the cut response was processed");
            }
        }
        h2load_fault("disconnect", &params, 500).await;
    }
}

// ---------------------------------------------------------------------------
// Who is wrong: a frame log between the client and the lab
// ---------------------------------------------------------------------------

/// One HTTP/2 frame (or end of stream) seen by [`frame_log_proxy`].
#[derive(Debug, Clone)]
struct Seen {
    conn: usize,
    from_client: bool,
    kind: u8,
    flags: u8,
    stream: u32,
    /// HEADERS from the client: its x-request-id.
    request_id: Option<String>,
    /// GOAWAY: its last_stream_id.
    last_stream_id: Option<u32>,
    /// GOAWAY and RST_STREAM: the error code.
    error_code: Option<u32>,
}

const FRAME_DATA: u8 = 0x0;
const FRAME_HEADERS: u8 = 0x1;
const FRAME_RST_STREAM: u8 = 0x3;
const FRAME_GOAWAY: u8 = 0x7;
/// Not a frame type: the sender closed its side (or the read failed).
const SEEN_EOF: u8 = 0xff;
const FLAG_END_STREAM: u8 = 0x1;
const REFUSED_STREAM: u32 = 0x7;

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Splits complete frames off `buf` and records them.
fn record_frames(
    buf: &mut bytes::BytesMut,
    conn: usize,
    from_client: bool,
    hpack: &mut baton_proto::h2::hpack::Decoder,
    log: &std::sync::Mutex<Vec<Seen>>,
) {
    while buf.len() >= 9 {
        let len = (usize::from(buf[0]) << 16) | (usize::from(buf[1]) << 8) | usize::from(buf[2]);
        if buf.len() < 9 + len {
            return;
        }
        let frame = buf.split_to(9 + len);
        let (kind, flags) = (frame[3], frame[4]);
        let stream = be32(&frame[5..9]) & 0x7fff_ffff;
        let payload = &frame[9..];
        let mut seen = Seen {
            conn,
            from_client,
            kind,
            flags,
            stream,
            request_id: None,
            last_stream_id: None,
            error_code: None,
        };
        if kind == FRAME_GOAWAY && payload.len() >= 8 {
            seen.last_stream_id = Some(be32(payload) & 0x7fff_ffff);
            seen.error_code = Some(be32(&payload[4..]));
        }
        if kind == FRAME_RST_STREAM && payload.len() >= 4 {
            seen.error_code = Some(be32(payload));
        }
        if kind == FRAME_HEADERS && from_client {
            // PADDED (0x8) and PRIORITY (0x20) prefixes, then the block.
            let pad = if flags & 0x8 != 0 { usize::from(payload[0]) } else { 0 };
            let start = usize::from(flags & 0x8 != 0) + if flags & 0x20 != 0 { 5 } else { 0 };
            let block = Bytes::copy_from_slice(&payload[start..payload.len() - pad]);
            let _ = hpack.decode(&block, |h| {
                if &h.name[..] == REQUEST_ID_HEADER.as_bytes() {
                    seen.request_id = Some(String::from_utf8_lossy(&h.value).into_owned());
                }
            });
        }
        log.lock().unwrap().push(seen);
    }
}

type SharedLog = Arc<std::sync::Mutex<Vec<Seen>>>;

/// A TCP proxy in front of `target` that records every frame both ways
/// (h2c prior knowledge only) before forwarding it. A close on one side is
/// passed on as a FIN (an RST arrives as a FIN: not for goaway-then-rst).
/// Runs until the test's runtime ends.
async fn frame_log_proxy(target: std::net::SocketAddr) -> (std::net::SocketAddr, SharedLog) {
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    async fn pump(
        mut from: impl AsyncRead + Unpin,
        mut to: impl AsyncWrite + Unpin,
        conn: usize,
        from_client: bool,
        log: SharedLog,
    ) {
        let mut hpack = baton_proto::h2::hpack::Decoder::new(4_096);
        let mut buf = bytes::BytesMut::new();
        let mut preface = if from_client { baton_proto::h2::PREFACE.len() } else { 0 };
        let mut chunk = vec![0u8; 64 << 10];
        loop {
            let n = match from.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let skip = preface.min(n);
            preface -= skip;
            buf.extend_from_slice(&chunk[skip..n]);
            record_frames(&mut buf, conn, from_client, &mut hpack, &log);
            if to.write_all(&chunk[..n]).await.is_err() {
                break;
            }
        }
        let eof = Seen {
            conn,
            from_client,
            kind: SEEN_EOF,
            flags: 0,
            stream: 0,
            request_id: None,
            last_stream_id: None,
            error_code: None,
        };
        log.lock().unwrap().push(eof);
        let _ = to.shutdown().await;
    }

    let log: SharedLog = Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accept_log = log.clone();
    tokio::spawn(async move {
        let mut conn = 0;
        while let Ok((client, _)) = listener.accept().await {
            conn += 1;
            let Ok(server) = tokio::net::TcpStream::connect(target).await else { return };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(pump(client_read, server_write, conn, true, accept_log.clone()));
            tokio::spawn(pump(server_read, client_write, conn, false, accept_log.clone()));
        }
    });
    (addr, log)
}

/// The frames of one run, indexed.
struct FrameLog {
    /// (conn, stream) of each HEADERS that carried a request id, in order.
    attempts: HashMap<String, Vec<(usize, u32)>>,
    /// GOAWAY last_stream_ids the lab sent, per connection.
    go_aways: HashMap<usize, Vec<u32>>,
    /// Streams the lab reset with REFUSED_STREAM.
    refused: HashSet<(usize, u32)>,
    /// Streams the lab ended (END_STREAM on HEADERS or DATA).
    answered: HashSet<(usize, u32)>,
    /// Connections the lab closed.
    lab_closed: HashSet<usize>,
    /// Streams the client reset (it gave up on them, e.g. at its timeout).
    client_reset: HashSet<(usize, u32)>,
}

impl FrameLog {
    fn new(frames: Vec<Seen>) -> Self {
        let mut log = Self {
            attempts: HashMap::new(),
            go_aways: HashMap::new(),
            refused: HashSet::new(),
            answered: HashSet::new(),
            lab_closed: HashSet::new(),
            client_reset: HashSet::new(),
        };
        for f in frames {
            let key = (f.conn, f.stream);
            match (f.from_client, f.kind) {
                (true, FRAME_HEADERS) => {
                    if let Some(id) = f.request_id {
                        log.attempts.entry(id).or_default().push(key);
                    }
                }
                (false, FRAME_GOAWAY) => log.go_aways.entry(f.conn).or_default().extend(f.last_stream_id),
                (false, FRAME_RST_STREAM) if f.error_code == Some(REFUSED_STREAM) => {
                    log.refused.insert(key);
                }
                (false, FRAME_DATA | FRAME_HEADERS) if f.flags & FLAG_END_STREAM != 0 => {
                    log.answered.insert(key);
                }
                (false, SEEN_EOF) => {
                    log.lab_closed.insert(f.conn);
                }
                (true, FRAME_RST_STREAM) => {
                    log.client_reset.insert(key);
                }
                _ => {}
            }
        }
        log
    }

    /// The lab declared this stream unprocessed: above a GOAWAY's last id it
    /// sent on the connection, or refused (RFC 9113 §6.8, §8.7).
    fn declared_unprocessed(&self, (conn, stream): (usize, u32)) -> bool {
        self.refused.contains(&(conn, stream))
            || self.go_aways.get(&conn).is_some_and(|ids| ids.iter().any(|&last| stream > last))
    }

    fn describe(&self, (conn, stream): (usize, u32)) -> String {
        format!(
            "stream {stream} on connection {conn} (lab GOAWAY last ids {:?}, refused {}, answered {}, \
             lab closed {})",
            self.go_aways.get(&conn).cloned().unwrap_or_default(),
            self.refused.contains(&(conn, stream)),
            self.answered.contains(&(conn, stream)),
            self.lab_closed.contains(&conn)
        )
    }
}

/// Each client/lab disagreement in a run, with whose fault the frames say
/// it is.
#[derive(Debug, Default)]
struct Audit {
    /// The lab contradicted its own frames: processed a request on a stream
    /// it had declared unprocessed, answered without processing, or left a
    /// request neither answered, refused nor closed (and the client did not
    /// cancel it).
    lab_faults: Vec<String>,
    /// The client did what the frames do not justify: reported "not
    /// processed" (GOAWAY/REFUSED_STREAM) for a stream the lab did not
    /// refuse, or sent a request again after the lab had accepted it.
    client_faults: Vec<String>,
    /// Requests that hit the per-request timeout although the lab answered,
    /// refused or closed, or that never reached the wire (the client's wait —
    /// cf. reqwest#1323 — or a starved machine).
    client_waits: Vec<String>,
}

/// Compares each request's outcome with the frames and the ledger.
fn audit(scenario: &str, run: &Run, lab: &Lab, frames: &FrameLog) -> Audit {
    let ledger = lab.ledger();
    let mut audit = Audit::default();
    let results = run.ok.iter().map(|id| (id, None)).chain(run.failed.iter().map(|(id, e)| (id, Some(e))));
    for (id, error) in results {
        let attempts = frames.attempts.get(id.as_str()).cloned().unwrap_or_default();
        let declared = attempts.iter().filter(|a| frames.declared_unprocessed(**a)).count();
        let accepted = attempts.len() - declared;
        let count = ledger.count(id) as usize;
        let seen: Vec<String> = attempts.iter().map(|a| frames.describe(*a)).collect();
        if count > accepted {
            audit
                .lab_faults
                .push(format!("{id}: processed {count}x, accepted {accepted} attempt(s): {seen:?}"));
        } else if count > 1 {
            audit.client_faults.push(format!(
                "{id}: processed {count}x: sent again after the lab accepted it: {seen:?}; outcome {error:?}"
            ));
        }
        match error {
            None if count == 0 => {
                audit.lab_faults.push(format!("{id}: answered but never processed: {seen:?}"))
            }
            None => {}
            Some(e) => {
                let k = kind(e);
                let last = attempts.last().copied();
                let says_unprocessed = k == "GOAWAY(NO_ERROR)" || k == "REFUSED_STREAM";
                if says_unprocessed && last.is_some_and(|a| !frames.declared_unprocessed(a)) {
                    audit.client_faults.push(format!(
                        "{id}: reported {k} (\"not processed\") for {} — processed {count}x",
                        seen.last().map_or("?", String::as_str)
                    ));
                }
                if k == "timeout" {
                    match last {
                        Some(a)
                            if !frames.declared_unprocessed(a)
                                && !frames.answered.contains(&a)
                                && !frames.lab_closed.contains(&a.0)
                                && !frames.client_reset.contains(&a) =>
                        {
                            audit.lab_faults.push(format!("{id}: left hanging by the lab: {seen:?}"))
                        }
                        Some(_) => audit.client_waits.push(format!("{id}: {seen:?}")),
                        None => audit.client_waits.push(format!("{id}: never sent")),
                    }
                }
            }
        }
    }
    println!(
        "    {scenario} / {}: audit: {} lab fault(s), {} client fault(s), {} client wait(s) past the timeout",
        run.client,
        audit.lab_faults.len(),
        audit.client_faults.len(),
        audit.client_waits.len()
    );
    for line in audit.lab_faults.iter().chain(&audit.client_faults).take(5) {
        println!("        {line}");
    }
    for line in audit.client_waits.iter().take(2) {
        println!("        waited: {line}");
    }
    audit
}
