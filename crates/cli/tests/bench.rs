//! `baton bench` against the lab, run as a user would: counts, verdicts,
//! GOAWAYs, the open loop, the deadline, bad input, and the JSON report
//! (parsed with serde_json into typed structs, so it is known to be valid
//! and to have every member, once).

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use baton_lab::{Lab, LabOptions, Scenario};
use common::bench_report::{Counts, Report};

/// Runs `baton bench ARGS` off the runtime; returns the output and the
/// wall time it took.
async fn bench(args: &[&str]) -> (Output, Duration) {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_baton")).arg("bench").args(&args).output().unwrap();
        (out, started.elapsed())
    })
    .await
    .unwrap()
}

/// Runs with `--json`, checks the exit code, and parses the report.
async fn bench_json(args: &[&str], code: i32) -> (Report, Duration) {
    let mut all = args.to_vec();
    all.insert(0, "--json");
    let (out, took) = bench(&all).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stdout}\n{stderr}");
    assert!(stdout.ends_with('\n') && stdout.lines().count() == 1, "one line: {stdout}");
    (common::parse(&stdout), took)
}

async fn lab(scenario: Scenario) -> Lab {
    Lab::start(LabOptions::new(scenario)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_every_request_once() {
    // On the default threads (one here: one HTTP/2 connection), and on two.
    for threads in [&[][..], &["--threads", "2"]] {
        let lab = lab(Scenario::Normal).await;
        let url = lab.url("/bytes/100");
        let args = [threads, &["--http2-prior-knowledge", "-n", "2000", "-c", "32", &url]].concat();
        let (j, _) = bench_json(&args, 0).await;
        assert_eq!(j.url, url);
        assert_eq!((j.requests, j.succeeded, j.failed), (2000, 2000, 0), "{j:?}");
        assert_eq!((j.aborted, j.late), (0, 0));
        assert_eq!(j.bytes, 200_000);
        assert_eq!(j.status["2xx"], 2000);
        assert_eq!(j.protocols["HTTP/2"], 2000);
        assert_eq!((j.goaways, j.retries, j.connections), (0, 0, 1));
        assert!(j.req_per_s > 0.0 && j.bytes_per_s > 0.0);
        let l = j.latency_us.as_ref().unwrap_or_else(|| panic!("latencies: {j:?}"));
        let order = [l.min, l.p50, l.p90, l.p99, l.p99_9, l.max];
        assert!(order.windows(2).all(|w| w[0] <= w[1]) && order[0] > 0, "{l:?}");
        let buckets = &j.histogram;
        assert_eq!(buckets.len(), 10);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 2000);
        assert_eq!(buckets[9].upto_us, l.max);
        assert!(j.failures.is_empty());
        assert_eq!(lab.ledger().stats().processed, 2000);
        lab.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_costs_no_request() {
    let lab = lab(Scenario::NginxRotate { requests: 100 }).await;
    let url = lab.url("/bytes/100");
    let (j, _) = bench_json(&["--http2-prior-knowledge", "-n", "2000", "-c", "64", &url], 0).await;
    assert_eq!((j.requests, j.failed), (2000, 0), "{j:?}");
    assert!(j.goaways >= 10, "{j:?}");
    let by_code = &j.goaways_by_code;
    assert_eq!(by_code[0].name, "NO_ERROR");
    assert_eq!(by_code.iter().map(|g| g.count).sum::<u64>(), j.goaways);
    assert!(j.connections >= 10, "{j:?}");
    assert_eq!(j.retries_by_reason.total(), j.retries);
    // Only requests the server provably left alone were sent again.
    assert_eq!(lab.ledger().stats().processed, 2000);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_with_a_posted_body() {
    let lab = lab(Scenario::Normal).await;
    let url = lab.url("/echo");
    let (j, _) = bench_json(&["--http1.1", "-n", "300", "-c", "8", "--data", "abc", &url], 0).await;
    assert_eq!((j.requests, j.failed), (300, 0), "{j:?}");
    assert_eq!(j.protocols["HTTP/1.1"], 300);
    assert_eq!(j.bytes, 900, "every echo returned the body");
    assert!((1..=8).contains(&j.connections), "{j:?}");
    assert_eq!(lab.ledger().stats().processed, 300);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_ends_the_run_on_time() {
    let lab = lab(Scenario::Normal).await;
    let url = lab.url("/bytes/100");
    let (j, took) = bench_json(&["--http2-prior-knowledge", "--duration", "1", "-c", "8", &url], 0).await;
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(j.requests > 0 && j.failed == 0, "{j:?}");
    assert_eq!(j.requests, j.succeeded);
    assert!((0.9..=1.0).contains(&j.seconds), "{j:?}");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_aborts_what_is_still_in_flight() {
    let lab = lab(Scenario::Normal).await;
    let url = lab.url("/delay/5000");
    let (j, took) = bench_json(&["--http2-prior-knowledge", "-d", "0.5", "-c", "4", &url], 0).await;
    assert!(took < Duration::from_secs(4), "the 5 s responses were not awaited: {took:?}");
    assert_eq!((j.requests, j.aborted), (0, 4), "{j:?}");
    assert!(j.latency_us.is_none(), "{j:?}");
    assert!(j.histogram.is_empty());
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_paces_the_starts() {
    let lab = lab(Scenario::Normal).await;
    let url = lab.url("/bytes/10");
    let (j, took) =
        bench_json(&["--http2-prior-knowledge", "--rate", "200", "-n", "100", "-c", "16", &url], 0).await;
    assert_eq!((j.requests, j.failed), (100, 0), "{j:?}");
    // The last of 100 starts is due at 99/200 s.
    assert!(j.seconds >= 0.45 && took >= Duration::from_millis(450), "{j:?} {took:?}");
    assert_eq!(lab.ledger().stats().processed, 100);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_reported_by_verdict_with_exit_1() {
    let lab = lab(Scenario::RefusedStream { every: 1, above: 0 }).await;
    let url = lab.url("/");
    let (j, _) = bench_json(&["--http2-prior-knowledge", "-n", "5", "-c", "1", &url], 1).await;
    assert_eq!((j.requests, j.succeeded, j.failed), (5, 0, 5), "{j:?}");
    let failures = &j.failures;
    assert_eq!(failures.len(), 1, "{j:?}");
    assert_eq!(failures[0].verdict, "not processed");
    assert_eq!(failures[0].kind, "retries exhausted");
    assert_eq!(failures[0].count, 5);
    assert!(!failures[0].example.is_empty());
    assert!(j.retries_by_reason["REFUSED_STREAM"] > 0, "{j:?}");
    assert_eq!(lab.ledger().stats().processed, 0);
    // The report for people says the same, with the same exit code.
    let (out, _) = bench(&["--http2-prior-knowledge", "-n", "5", "-c", "1", &url]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("5 done, 0 succeeded, 5 failed"), "{text}");
    assert!(text.contains("5 x not processed (retries exhausted), e.g. "), "{text}");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_report_has_every_section() {
    let lab = lab(Scenario::NginxRotate { requests: 50 }).await;
    let (out, _) =
        bench(&["--http2-prior-knowledge", "-n", "500", "-c", "16", &lab.url("/bytes/1000")]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for needle in [
        "500 done, 500 succeeded, 0 failed",
        "Requests/s:",
        "Bytes/s:",
        "(500000 bytes of response bodies)",
        "p50 ",
        "p99.9 ",
        "max ",
        "Latency histogram (ms):",
        "Status codes:       500 x 2xx",
        "Protocols:          500 x HTTP/2",
        "Failures:           none",
        "x NO_ERROR (0x0)",
        "Retries:",
        "Connections opened: ",
    ] {
        assert!(text.contains(needle), "{needle:?} in\n{text}");
    }
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(" ["))
            .count(),
        10,
        "{text}"
    );
    assert!(text.lines().all(|l| !l.ends_with(' ')), "no trailing spaces:\n{text}");
    // stderr is not a terminal: no progress line.
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_before_any_request() {
    let lab = lab(Scenario::Normal).await;
    let url = lab.url("/");
    let cases: [(&[&str], &str); 10] = [
        (&["not a url"], "invalid URL"),
        (&["ftp://127.0.0.1/"], "ftp"),
        (&["-H", "no colon", &url], "not \"Name: value\""),
        (&["-H", "bad name: x", &url], "invalid header name"),
        (&["-m", "GET POST", &url], "invalid method"),
        (&["--data", "@/nonexistent/body", &url], "cannot read /nonexistent/body"),
        (&["-c", "0", &url], "0"),
        (&["--threads", "0", &url], "--threads"),
        (&["-c", "4294967295", &url], "4294967295"),
        (&["http://127.0.0.1:99999/"], "invalid port"),
    ];
    for (args, message) in cases {
        let (out, _) = bench(args).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {message:?} in {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    assert_eq!(lab.ledger().stats().connections, 0, "nothing was sent");
    lab.stop().await;
}

#[test]
fn the_test_parser_rejects_what_json_rejects() {
    use serde_json::{Value, json};
    let parse_value = common::parse::<Value>;
    assert_eq!(parse_value(r#" {"a":[1,2.5,-3e2],"b":"x\"\u0041\n","c":null,"d":{}} "#)["b"], "x\"A\n");
    for bad in [r#"{"a":1,}"#, r#"{"a" 1}"#, "[1 2]", "01", "\"a\u{1}\"", "{\"a\":1}}", "NaN", "{'a':1}"] {
        assert!(std::panic::catch_unwind(|| parse_value(bad)).is_err(), "{bad:?} was accepted");
    }
    // The typed report: every member, once, of its type.
    let report = json!({
        "url": "http://h/", "seconds": 1.0, "requests": 1, "succeeded": 1, "failed": 0, "aborted": 0,
        "late": 0, "interrupted": false, "req_per_s": 1.0, "bytes": 0, "bytes_per_s": 0.0,
        "latency_us": null, "histogram": [], "status": {"2xx": 1}, "protocols": {"HTTP/2": 1},
        "failures": [], "goaways": 0, "goaways_by_code": [], "retries": 0, "retries_by_reason": {},
        "connections": 1
    });
    let parse_report = |v: &Value| common::parse::<Report>(&v.to_string());
    assert_eq!(parse_report(&report).status["2xx"], 1);
    let mut missing = report.clone();
    missing.as_object_mut().unwrap().remove("latency_us");
    let mut unknown = report.clone();
    unknown["extra"] = json!(0);
    let mut fractional = report.clone();
    fractional["requests"] = json!(1.5);
    for bad in [missing, unknown, fractional] {
        assert!(std::panic::catch_unwind(|| parse_report(&bad)).is_err(), "{bad} was accepted");
    }
    assert!(std::panic::catch_unwind(|| common::parse::<Counts>(r#"{"2xx":1,"2xx":2}"#)).is_err());
}

/// More concurrency than requests starts no more workers than requests:
/// `-n 2 -c 100000` is two requests, not a hundred thousand tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_beyond_the_requests_starts_no_idle_workers() {
    let lab = lab(Scenario::Normal).await;
    let (report, took) = bench_json(&["-n", "2", "-c", "100000", &lab.url("/bytes/1")], 0).await;
    assert_eq!((report.requests, report.succeeded), (2, 2), "{report:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    lab.stop().await;
}

/// Ctrl-C against a server that never answers: the report comes at once,
/// with the requests in flight counted as aborted, and the exit status is
/// 130 (the first Ctrl-C used to wait for answers that never came).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_aborts_what_is_in_flight_and_reports() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (read_tx, mut read_rx) = tokio::sync::mpsc::unbounded_channel();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut sock, _)) = listener.accept().await {
            // Reads the request, answers nothing, keeps the socket open.
            let _ = sock.read(&mut [0u8; 4096]).await;
            let _ = read_tx.send(());
            held.push(sock);
        }
    });
    let child = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["bench", "--http1.1", "-n", "100", "-c", "3", "--json", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..3 {
        tokio::time::timeout(Duration::from_secs(10), read_rx.recv())
            .await
            .expect("three requests in flight");
    }
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || {
        let mut child = child;
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("the report waited for answers that never come");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let j: Report = common::parse(&stdout);
    assert_eq!((j.succeeded, j.aborted), (0, 3), "{stdout}");
    server.abort();
}

/// Open loop faster than the server: with `--rate`, latency counts from
/// each request's scheduled start, so requests that waited for one of the
/// two busy workers say so. 200 requests due at once, two at a time, 5 ms
/// each: half of them waited 250 ms or more, where timing from the actual
/// start would report about 5 ms for all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_latency_counts_from_the_scheduled_start() {
    let lab = lab(Scenario::Normal).await;
    let url = lab.url("/delay/5");
    let (j, _) =
        bench_json(&["--http2-prior-knowledge", "--rate", "1000000", "-n", "200", "-c", "2", &url], 0).await;
    assert!(j.late > 100, "{j:?}");
    let p50_ms = j.latency_us.as_ref().unwrap_or_else(|| panic!("latencies: {j:?}")).p50 as f64 / 1000.0;
    assert!(p50_ms > 100.0, "p50 {p50_ms} ms: the wait for a worker is not counted");
    lab.stop().await;
}
