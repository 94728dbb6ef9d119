//! `baton bench` against the lab: counts, verdicts and the JSON report.

use std::process::{Command, Output};

use baton_lab::{Lab, LabOptions, Scenario};

async fn bench(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_baton")).arg("bench").args(&args).output().unwrap()
    })
    .await
    .unwrap()
}

fn field(json: &str, key: &str) -> u64 {
    let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} in {json}"));
    json[at + key.len() + 3..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_every_request_once() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let out =
        bench(&["--http2-prior-knowledge", "-n", "2000", "-c", "32", "--json", &lab.url("/bytes/100")]).await;
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{json}");
    assert_eq!(
        (field(&json, "requests"), field(&json, "succeeded"), field(&json, "failed")),
        (2000, 2000, 0)
    );
    assert_eq!(field(&json, "bytes"), 200_000);
    assert_eq!(lab.ledger().stats().processed, 2000);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_costs_no_request() {
    let lab = Lab::start(LabOptions::new(Scenario::NginxRotate { requests: 100 })).await.unwrap();
    let out =
        bench(&["--http2-prior-knowledge", "-n", "2000", "-c", "64", "--json", &lab.url("/bytes/100")]).await;
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{json}");
    assert_eq!(field(&json, "failed"), 0, "{json}");
    assert!(field(&json, "goaways") >= 10, "{json}");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_duration_and_post() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let out =
        bench(&["--http1.1", "-c", "8", "--duration", "0.5", "--data", "abc", "--json", &lab.url("/echo")])
            .await;
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{json}");
    let n = field(&json, "requests");
    assert!(n > 0 && field(&json, "failed") == 0, "{json}");
    assert_eq!(field(&json, "bytes"), 3 * n, "every echo returned the body");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_reported_by_verdict_with_exit_1() {
    let lab = Lab::start(LabOptions::new(Scenario::RefusedStream { every: 1, above: 0 })).await.unwrap();
    let out = bench(&["--http2-prior-knowledge", "-n", "5", "-c", "1", "--json", &lab.url("/")]).await;
    let json = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{json}");
    assert!(json.contains("\"not processed (retries exhausted)\":5"), "{json}");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_exits_2_before_any_request() {
    let out = bench(&["not a url"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid URL"));
    let out = bench(&["-H", "no colon", "http://127.0.0.1:9/"]).await;
    assert_eq!(out.status.code(), Some(2));
}
