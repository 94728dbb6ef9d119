//! A client outlives the runtime its connections were made on (a client in
//! a `static`, or shared by tests that each start a runtime): when that
//! runtime shuts down, its connection tasks are dropped without running to
//! their end, and the pool must see those connections closed.

use std::time::Duration;

use baton::Client;
use baton_lab::{Lab, LabOptions, Scenario};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Three requests on a second runtime, after one on a first that is gone;
/// each must be answered (in time) on a connection of the second.
fn outlive(client: &Client, url: &str) {
    runtime().block_on(async { client.get(url).send().await.unwrap().bytes().await.unwrap() });
    let second = runtime();
    for i in 0..3 {
        let answer = second.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), async {
                client.get(url).send().await?.bytes().await
            })
            .await
        });
        let body = answer.unwrap_or_else(|_| panic!("request {i} on the second runtime hung"));
        assert!(body.is_ok(), "request {i} on the second runtime failed: {body:?}");
    }
    assert_eq!(client.stats().connections_opened, 2, "one connection per runtime");
}

#[test]
fn http1_connections_of_a_runtime_that_is_gone_are_not_reused() {
    let server = tokio::runtime::Runtime::new().unwrap();
    let lab = server.block_on(Lab::start(LabOptions::new(Scenario::Normal))).unwrap();
    outlive(&Client::new(), &lab.url("/bytes/10"));
    server.block_on(lab.stop());
}

#[test]
fn http2_connections_of_a_runtime_that_is_gone_are_not_reused() {
    let server = tokio::runtime::Runtime::new().unwrap();
    let lab = server.block_on(Lab::start(LabOptions::new(Scenario::Normal))).unwrap();
    outlive(&Client::builder().http2_prior_knowledge().build().unwrap(), &lab.url("/bytes/10"));
    server.block_on(lab.stop());
}
