//! The `baton` binary: demo, get and lab, run as a user would.

use std::process::{Command, Output};

use baton_lab::{Lab, LabOptions, Scenario};

fn baton(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baton")).args(args).output().expect("run baton")
}

async fn baton_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_baton")).args(&args).output().unwrap()
    })
    .await
    .unwrap()
}

#[test]
fn demo_runs_a_scenario_and_reports_json() {
    let out = baton(&["demo", "--only", "S9", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("{\"scenarios\":[{\"id\":\"S9\""), "{stdout}");
    assert!(stdout.contains("\"requests\":1000,\"succeeded\":1000"), "{stdout}");
    assert!(stdout.contains("\"unexpected\":[]"), "{stdout}");
}

#[test]
fn demo_table_for_a_failing_as_required_scenario() {
    let out = baton(&["demo", "--only", "S18"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("S18") && stdout.contains("every request ended as DESIGN.md §7 requires"),
        "{stdout}"
    );
}

#[cfg(not(feature = "peers"))]
#[test]
fn demo_peers_says_which_feature_it_needs() {
    let out = baton(&["demo", "--peers", "--only", "S1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--features peers"), "{out:?}");
    assert!(out.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_prints_the_body_and_the_journal() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let out = baton_async(vec!["get".into(), "--http2-prior-knowledge".into(), lab.url("/bytes/12")]).await;
    assert!(out.status.success());
    assert_eq!(out.stdout, b"xxxxxxxxxxxx");
    let out =
        baton_async(vec!["get".into(), "--json".into(), "-d".into(), "hello".into(), lab.url("/echo")]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("\"status\":200") && stdout.contains("\"body_bytes\":5"), "{stdout}");
    assert!(
        stdout.contains("\"version\":\"HTTP/1.1\""),
        "plain http:// without prior knowledge is HTTP/1.1: {stdout}"
    );
    let out =
        baton_async(vec!["get".into(), "-i".into(), "--http2-prior-knowledge".into(), lab.url("/trailers")])
            .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("HTTP/2.0 200 OK\n"), "{stdout}");
    lab.stop().await;
}

#[test]
fn get_refuses_bad_input_before_any_io() {
    let out = baton(&["get", "http://127.0.0.1:9/", "-H", "bad header: x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid header name"));
    let out = baton(&["get", "no-scheme"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no scheme"));
}

#[test]
fn get_reports_a_refused_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = baton(&["get", "--timeout", "5", &format!("http://127.0.0.1:{port}/")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"), "{out:?}");
}

#[test]
fn lab_lists_its_scenarios_and_rejects_unknown_ones() {
    let out = baton(&["lab", "--help"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("nginx-rotate") && stdout.contains("keepalive-race"), "{stdout}");
    let out = baton(&["lab", "--scenario", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
}
