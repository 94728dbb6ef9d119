//! End-to-end: the baton client against every lab scenario it can meet over
//! HTTP/2, with GET, PUT and POST mixed at concurrency 32, asserting each
//! request's outcome (DESIGN.md §7) and, from the lab's ledger, that no
//! request was processed twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use baton::{Client, Processing, RetryPolicy};
use baton_lab::{DisconnectPoint, Lab, LabOptions, Scenario};
use tokio::sync::Semaphore;

#[derive(Debug)]
struct Outcome {
    id: String,
    method: &'static str,
    result: Result<usize, baton::Error>,
}

#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    failed: BTreeMap<String, usize>,
}

const METHODS: [&str; 3] = ["GET", "PUT", "POST"];

/// Runs `n` requests (GET/PUT/POST in turn) to `path` at `concurrency`,
/// each with a unique x-request-id, reading every body to the end.
async fn run(
    client: &Client,
    lab: &Lab,
    tag: &str,
    path: &str,
    n: usize,
    concurrency: usize,
) -> Vec<Outcome> {
    let limit = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::new();
    for i in 0..n {
        let permit = limit.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        let url = lab.url(path);
        let method = METHODS[i % 3];
        let id = format!("{tag}-{i}");
        tasks.push(tokio::spawn(async move {
            let builder = match method {
                "GET" => client.get(&url),
                "PUT" => client.put(&url).body("put-body"),
                _ => client.post(&url).body(vec![b'p'; 100]),
            };
            let result = async {
                let resp = builder.header("x-request-id", &id).send().await?;
                Ok(resp.bytes().await?.len())
            }
            .await;
            drop(permit);
            Outcome { id, method, result }
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(tokio::time::timeout(Duration::from_secs(30), t).await.expect("request hung").unwrap());
    }
    out
}

fn tally(outcomes: &[Outcome]) -> Tally {
    let mut t = Tally::default();
    for o in outcomes {
        match &o.result {
            Ok(_) => t.ok += 1,
            Err(e) => {
                let key = format!("{} {:?}", o.method, e.processing());
                *t.failed.entry(key).or_insert(0) += 1;
            }
        }
    }
    t
}

fn client() -> Client {
    Client::builder().http2_prior_knowledge().timeout(Duration::from_secs(20)).build().unwrap()
}

async fn lab(scenario: Scenario) -> Lab {
    Lab::start(LabOptions::new(scenario)).await.unwrap()
}

/// Asserts no request id was processed twice, prints a summary line.
fn check_ledger(name: &str, lab: &Lab, client: &Client, outcomes: &[Outcome]) -> Tally {
    let t = tally(outcomes);
    let stats = client.stats();
    println!(
        "{name:<28} requests {:>4}  ok {:>4}  failed {:?}  GOAWAYs {}  retries {:?}  connections {}  ledger {:?}",
        outcomes.len(),
        t.ok,
        t.failed,
        stats.go_aways_total(),
        stats.retries,
        stats.connections_opened,
        lab.ledger().stats()
    );
    // Only an idempotent request whose outcome was unknown may be processed
    // a second time (DESIGN.md §3 rule 2), and never a third.
    for (id, count) in lab.ledger().duplicates() {
        let o = outcomes.iter().find(|o| o.id == id).expect("ledger ids are ours");
        assert!(o.method != "POST" && count == 2, "{name}: {} {id} processed {count} times", o.method);
    }
    t
}

fn assert_all_ok(name: &str, outcomes: &[Outcome]) {
    for o in outcomes {
        if let Err(e) = &o.result {
            panic!("{name}: {} {} failed: {e} {:#?}", o.method, o.id, e.attempts());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn normal_serves_everything_once() {
    let lab = lab(Scenario::Normal).await;
    let client = client();
    let out = run(&client, &lab, "normal", "/bytes/1000", 600, 32).await;
    check_ledger("normal", &lab, &client, &out);
    assert_all_ok("normal", &out);
    assert_eq!(lab.ledger().stats().processed, 600);
    assert_eq!(client.stats().connections_opened, 1, "one HTTP/2 connection multiplexes everything");
    lab.stop().await;
}

/// S2, S9: nginx keepalive_requests — GOAWAY(N) before the last responses,
/// streams above ignored, lingering close. Zero failures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s9_nginx_rotation_loses_nothing() {
    let lab = lab(Scenario::NginxRotate { requests: 100 }).await;
    let client = client();
    let out = run(&client, &lab, "s9", "/bytes/100", 600, 32).await;
    check_ledger("s9 nginx-rotate", &lab, &client, &out);
    assert_all_ok("s9", &out);
    let stats = client.stats();
    assert!(stats.go_aways_total() >= 5, "{stats:?}");
    assert!(stats.retries_total() > 0, "streams above last_stream_id were retried: {stats:?}");
    lab.stop().await;
}

/// S9 again, the way baton rotates: once two GOAWAYs have cut connections
/// at the same count, the pool stops each connection at that count and
/// opens its successor ahead of time, so streams stop being refused. Without
/// that, streams above each GOAWAY's last_stream_id are retried: about 700
/// here (measured with the learning switched off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s9_nginx_rotation_is_predicted_after_two_cut_offs() {
    let lab = lab(Scenario::NginxRotate { requests: 50 }).await;
    let client = client();
    let out = run(&client, &lab, "s9p", "/bytes/100", 2000, 32).await;
    check_ledger("s9 predicted", &lab, &client, &out);
    assert_all_ok("s9 predicted", &out);
    let stats = client.stats();
    assert!(stats.connections_opened >= 40, "one connection per 50 requests: {stats:?}");
    assert!(stats.retries_total() <= 160, "only the first cut-offs cost retries: {stats:?}");
    lab.stop().await;
}

/// S8: double GOAWAY (2^31-1 + PING, then the real id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s8_envoy_double_go_away_loses_nothing() {
    let lab = lab(Scenario::EnvoyDrain { after: 40, ack_timeout: Duration::from_millis(200) }).await;
    let client = client();
    let out = run(&client, &lab, "s8", "/bytes/100", 400, 32).await;
    check_ledger("s8 envoy-drain", &lab, &client, &out);
    assert_all_ok("s8", &out);
    lab.stop().await;
}

/// S10: GOAWAY(0) on a fresh connection: retried elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s10_node_close_is_retried_elsewhere() {
    let lab = lab(Scenario::NodeClose { connections: 1 }).await;
    let client = client();
    let out = run(&client, &lab, "s10", "/bytes/100", 90, 32).await;
    check_ledger("s10 node-close", &lab, &client, &out);
    assert_all_ok("s10", &out);
    assert!(client.stats().connections_opened >= 2);
    lab.stop().await;
}

/// S13: REFUSED_STREAM is retried, any method.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s13_refused_streams_are_retried() {
    let lab = lab(Scenario::RefusedStream { every: 7, above: 0 }).await;
    let client = client();
    let out = run(&client, &lab, "s13", "/bytes/100", 300, 32).await;
    check_ledger("s13 refused-stream", &lab, &client, &out);
    assert_all_ok("s13", &out);
    assert!(client.stats().streams_refused > 0);
    lab.stop().await;
}

/// S11: GOAWAY with ENHANCE_YOUR_CALM / INTERNAL_ERROR: the streams above
/// are retried with back-off; those below finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s11_error_go_aways_back_off_and_lose_nothing() {
    for code in [baton_proto_reason(0xb), baton_proto_reason(0x2)] {
        let lab = lab(Scenario::GoawayError { after: 30, code }).await;
        let client = client();
        let out = run(&client, &lab, "s11", "/bytes/100", 150, 32).await;
        check_ledger("s11 goaway-error", &lab, &client, &out);
        assert_all_ok("s11", &out);
        lab.stop().await;
    }
}

fn baton_proto_reason(code: u32) -> baton_proto::h2::frame::Reason {
    baton_proto::h2::frame::Reason::new(code)
}

/// S15: GOAWAY with the socket left open: no hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s15_silent_go_away_does_not_hang() {
    let lab = lab(Scenario::SilentGoaway { after: 80 }).await;
    let client = client();
    let out = run(&client, &lab, "s15", "/bytes/100", 200, 32).await;
    check_ledger("s15 silent-goaway", &lab, &client, &out);
    assert_all_ok("s15", &out);
    lab.stop().await;
}

/// SETTINGS lowers MAX_CONCURRENT_STREAMS mid-flight: the streams the
/// server refuses above the new limit move on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_streams_shrink_loses_nothing() {
    let lab = lab(Scenario::MaxStreamsShrink { initial: 100, shrunk: 4, after: 10 }).await;
    let client = client();
    let out = run(&client, &lab, "shrink", "/bytes/100", 200, 8).await;
    check_ledger("max-streams-shrink", &lab, &client, &out);
    assert_all_ok("max-streams-shrink", &out);
    lab.stop().await;
}

/// S17: requests waiting for a MAX_CONCURRENT_STREAMS slot when GOAWAY
/// arrives move to the replacement connection (one connection per origin
/// at a time, so they really were waiting on this one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s17_requests_waiting_for_a_slot_move_on_go_away() {
    let options = LabOptions::new(Scenario::NginxRotate { requests: 20 }).max_concurrent_streams(4);
    let lab = Lab::start(options).await.unwrap();
    let client = Client::builder()
        .http2_prior_knowledge()
        .max_connections_per_origin(1)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let out = run(&client, &lab, "s17", "/delay/5", 200, 32).await;
    check_ledger("s17 waiting for a slot", &lab, &client, &out);
    assert_all_ok("s17", &out);
    let stats = client.stats();
    assert!(stats.go_aways_total() >= 9, "{stats:?}");
    lab.stop().await;
}

/// S5: GOAWAY(N) then an immediate RST: GET/PUT retried once; POST fails
/// MaybeProcessed with the GOAWAY fields; nothing processed twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s5_go_away_then_rst() {
    let lab = lab(Scenario::GoawayThenRst { after: 60 }).await;
    let client = client();
    let out = run(&client, &lab, "s5", "/delay/20", 120, 32).await;
    let t = check_ledger("s5 goaway-then-rst", &lab, &client, &out);
    for o in &out {
        if let Err(e) = &o.result {
            assert_eq!(o.method, "POST", "only POSTs may fail: {e}");
            assert_eq!(e.processing(), Some(Processing::MaybeProcessed), "{e}");
            // The RST can overtake the GOAWAY in the client's receive
            // buffer (the kernel drops unread data on RST); then the failure
            // is a close without GOAWAY, which S16 covers. When the GOAWAY
            // was read, the error carries its account.
            if let Some(g) = e.going_away() {
                assert!(g.headers_sent && !g.is_safe_to_retry() && g.may_have_side_effects(), "{g:?}");
                assert!(g.request_stream_id.is_some_and(|id| id <= g.last_stream_id), "{g:?}");
            }
        }
    }
    assert!(t.ok > 0);
    lab.stop().await;
}

/// S16: close with no GOAWAY: idempotent retried once, POST fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s16_disconnect_without_go_away() {
    let lab = lab(Scenario::Disconnect { at: DisconnectPoint::AfterHead, after: 60 }).await;
    let client = client();
    let out = run(&client, &lab, "s16", "/delay/10", 120, 32).await;
    check_ledger("s16 disconnect", &lab, &client, &out);
    for o in &out {
        if let Err(e) = &o.result {
            assert_eq!(o.method, "POST", "only POSTs may fail: {e}");
            assert!(matches!(e.processing(), Some(Processing::MaybeProcessed | Processing::NotSent)), "{e}");
            assert!(e.going_away().is_none(), "there was no GOAWAY: {e}");
        }
    }
    lab.stop().await;
}

/// S6: the response body cut by a close fails ResponseStarted, not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s6_body_cut_is_response_started() {
    let lab = lab(Scenario::Disconnect { at: DisconnectPoint::MidResponse, after: 1 }).await;
    let client = client();
    let resp = client.get(&lab.url("/bytes/100000")).send().await.unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{err}");
    assert!(err.is_decode());
    lab.stop().await;
}

/// S14: every connection rotated after 2 requests: bounded attempts and
/// budget, a clear error, no storm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s14_constant_rotation_is_bounded() {
    let lab = lab(Scenario::NginxRotate { requests: 2 }).await;
    let client = Client::builder()
        .http2_prior_knowledge()
        .retry(RetryPolicy::default().max_attempts(4))
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let out = run(&client, &lab, "s14", "/bytes/100", 120, 32).await;
    check_ledger("s14 rotate every 2", &lab, &client, &out);
    let stats = client.stats();
    for o in &out {
        if let Err(e) = &o.result {
            assert!(e.is_retries_exhausted(), "{e}");
            assert!(e.attempts().len() <= 4, "{e}");
            assert!(e.processing().is_some_and(Processing::is_safe_to_retry), "{e}");
        }
    }
    // No storm: attempts stay within the cap and the budget.
    assert!(stats.retries_total() <= 120 * 3, "{stats:?}");
    lab.stop().await;
}
