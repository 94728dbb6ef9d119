//! Timeouts: response head, idle body read, and the total deadline.

use std::time::Duration;

use baton::Client;
use baton_lab::{Lab, LabOptions, Scenario};

fn builder() -> baton::ClientBuilder {
    Client::builder().http2_prior_knowledge()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_head_timeout() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = builder().response_timeout(Duration::from_millis(100)).build().unwrap();
    let err = client.get(&lab.url("/delay/3000")).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // The connection is still good for the next request.
    let resp = client.get(&lab.url("/bytes/10")).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), 10);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_body_read_timeout() {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = builder().read_timeout(Duration::from_millis(100)).build().unwrap();
    let resp = client.get(&lab.url("/stream/3000?chunk=1000&interval=2000")).send().await.unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.processing(), Some(baton::Processing::ResponseStarted));
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn total_deadline_covers_retries() {
    // Every connection says GOAWAY(0) at once (node-close): the retries,
    // backing off as a GOAWAY on a fresh connection asks, would go on to the
    // attempt cap; the total deadline ends them first and keeps the journal.
    let lab = Lab::start(LabOptions::new(Scenario::NodeClose { connections: u32::MAX })).await.unwrap();
    let client = builder()
        .retry(
            baton::RetryPolicy::default()
                .max_attempts(1000)
                .backoff(Duration::from_millis(50), Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    let err = client.get(&lab.url("/")).timeout(Duration::from_millis(300)).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.attempts().len() >= 2, "attempts so far are kept: {err:?}");
    lab.stop().await;
}

/// A request that times out while its connection is being set up must not
/// leave the origin waiting forever for that connection: the next request
/// connects again and succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_during_connect_does_not_wedge_the_origin() {
    use baton_lab::script::{Script, ScriptServer};
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/", server.url());
    // The first connection is accepted and never answered (no SETTINGS);
    // the second is a working server.
    let silent = Script::new().sleep(Duration::from_secs(1));
    let working = Script::new().handshake().expect_request().respond(1, 200, b"ok");
    let scripts = server.spawn_each(vec![silent, working]);
    let client = builder().build().unwrap();
    let err = client.get(&url).timeout(Duration::from_millis(200)).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let resp = client.get(&url).timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    let _ = scripts.await;
}
