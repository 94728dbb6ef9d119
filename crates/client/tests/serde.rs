//! The `serde` feature: a request's journal and the client's counters as
//! JSON, and back, from a real exchange with the lab.
//! `cargo test -p baton --features serde --test serde` (CI runs it).
#![cfg(feature = "serde")]

use baton::{Attempt, Client, Stats};
use baton_lab::{Lab, LabOptions, Scenario};
use serde_json::json;

/// S12's downgrade: a refused HTTP/2 attempt (GOAWAY(0,
/// HTTP_1_1_REQUIRED), retried) and an answered HTTP/1.1 one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_and_the_stats_round_trip_through_json() {
    let lab = Lab::start(LabOptions::new(Scenario::Http11Required)).await.unwrap();
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let resp = client.post(lab.url("/echo")).body("over h1").send().await.unwrap();
    let attempts = resp.attempts().to_vec();
    assert_eq!(resp.text().await.unwrap(), "over h1");
    lab.stop().await;

    let journal = serde_json::to_value(&attempts).unwrap();
    let [refused, answered] = journal.as_array().unwrap().as_slice() else {
        panic!("two attempts: {journal}")
    };
    assert_eq!(refused["version"], json!("HTTP/2.0"), "{refused}");
    assert_eq!(refused["stream_id"], json!(1), "{refused}");
    assert_eq!(refused["processing"], json!("not_processed"), "{refused}");
    assert_eq!(refused["retried"], json!("http11_required"), "{refused}");
    assert_eq!(refused["go_away"]["last_stream_id"], json!(0), "{refused}");
    assert_eq!(refused["go_away"]["error_code"], json!(0xd), "{refused}");
    assert_eq!(answered["version"], json!("HTTP/1.1"), "{answered}");
    assert_eq!(answered["phase"], json!("response_head"), "{answered}");
    assert_eq!((&answered["processing"], &answered["retried"]), (&json!(null), &json!(null)));
    assert_eq!(serde_json::from_value::<Vec<Attempt>>(journal).unwrap(), attempts);

    let stats = client.stats();
    let value = serde_json::to_value(&stats).unwrap();
    assert_eq!(value["requests"], json!(1), "{value}");
    assert_eq!(value["go_aways"], json!({"13": 1}), "{value}");
    assert_eq!(value["retries"], json!({"HTTP_1_1_REQUIRED": 1}), "{value}");
    assert_eq!(serde_json::from_value::<Stats>(value).unwrap(), stats);
}

/// A redirect's hop: its status, where it led, and the reason `redirect`;
/// the answered attempt's status. The stats count the redirect apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_round_trips_through_json() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::new();
    let resp = client.get(lab.url("/redirect/308/bytes/3")).send().await.unwrap();
    let attempts = resp.attempts().to_vec();
    let target = lab.url("/bytes/3");
    lab.stop().await;
    let journal = serde_json::to_value(&attempts).unwrap();
    let [hop, answered] = journal.as_array().unwrap().as_slice() else { panic!("two attempts: {journal}") };
    assert_eq!(hop["status"], json!(308), "{hop}");
    assert_eq!(hop["redirected_to"], json!(target), "{hop}");
    assert_eq!(hop["retried"], json!("redirect"), "{hop}");
    assert_eq!(hop["processing"], json!("response_started"), "{hop}");
    assert_eq!((&answered["status"], &answered["redirected_to"]), (&json!(200), &json!(null)));
    assert_eq!(serde_json::from_value::<Vec<Attempt>>(journal).unwrap(), attempts);
    let stats = serde_json::to_value(client.stats()).unwrap();
    assert_eq!((&stats["redirects"], &stats["retries"]), (&json!(1), &json!({})), "{stats}");
}

#[test]
fn an_unknown_version_is_refused() {
    let attempt = json!({
        "connection_id": 1, "reused": false, "version": "HTTP/1.2", "stream_id": null,
        "phase": "queued", "body_sent": 0, "go_away": null, "error": null, "processing": null,
        "retried": null, "backoff": {"secs": 0, "nanos": 0}
    });
    let err = serde_json::from_value::<Attempt>(attempt.clone()).unwrap_err();
    assert!(err.to_string().contains("unknown HTTP version \"HTTP/1.2\""), "{err}");
    let mut fixed = attempt;
    fixed["version"] = json!("HTTP/1.0");
    // A journal written before `status` and `redirected_to` existed reads.
    assert_eq!(serde_json::from_value::<Attempt>(fixed).unwrap().version, http::Version::HTTP_10);
}
