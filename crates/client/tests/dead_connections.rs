//! Dead connections: an HTTP/2 connection that goes silent (the fault
//! proxy's blackhole: nothing forwarded either way, both sockets left open,
//! as when a load balancer drops a flow) is found dead by the default
//! keep-alive PING, and its requests are retried elsewhere, or fail with
//! their verdicts, within `interval + timeout` (5 s + 5 s) instead of
//! waiting for ever.
//!
//! On tokio's paused clock with a [`Ticker`](common::Ticker): each idle
//! moment moves the clock 1 ms, a slow-motion real clock, so the seconds a
//! keep-alive takes pass at once while loopback I/O still gets its turn.
//! Every bound below is in that clock's time.

mod common;

use std::time::Duration;

use baton::{Client, Processing};
use baton_lab::proxy::{Connections, Directions, Fault, Proxy, ProxyOptions};
use baton_lab::{Lab, LabOptions, REQUEST_ID_HEADER, Scenario};
use common::tick_slowly;
use tokio::time::Instant;

/// The default keep-alive: a PING after 5 s of silence, 5 s to answer.
const INTERVAL: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(5);
/// What the slow-motion clock may add to a bound: loopback I/O, a retry's
/// connect and its SETTINGS.
const SLACK: Duration = Duration::from_millis(500);

struct Setup {
    lab: Lab,
    proxy: Proxy,
    client: Client,
}

async fn setup(builder: baton::ClientBuilder) -> Setup {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let proxy = Proxy::start(ProxyOptions::new(lab.addr())).await.unwrap();
    let client = builder.http2_prior_knowledge().build().unwrap();
    // The first request opens the connection the test will silence.
    let first = client.get(proxy.url("/bytes/100")).send().await.unwrap();
    first.bytes().await.unwrap();
    Setup { lab, proxy, client }
}

impl Setup {
    fn blackhole(&self) -> Instant {
        let hit = self.proxy.apply(Connections::All, Directions::Both, Fault::Blackhole);
        assert_eq!(hit, 1, "one connection to silence");
        Instant::now()
    }

    async fn stop(self) {
        self.proxy.stop().await;
        self.lab.stop().await;
    }
}

/// Requests in flight when the connection goes silent: the GET is retried
/// on a new connection and succeeds; the POST, whose outcome nobody can
/// know, fails `MaybeProcessed` (DESIGN.md §3 rule 2). Both within the
/// keep-alive bound of the last byte received, and the lab processed the
/// POST once.
#[tokio::test(start_paused = true)]
async fn requests_in_flight_are_retried_or_failed_within_the_keepalive_bound() {
    let _ticker = tick_slowly();
    let s = setup(Client::builder()).await;
    let delay = Duration::from_secs(2);
    let url = s.proxy.url(&format!("/delay/{}", delay.as_millis()));
    let get = tokio::spawn(s.client.get(&url).header(REQUEST_ID_HEADER, "get").send());
    let post = tokio::spawn(s.client.post(&url).header(REQUEST_ID_HEADER, "post").body("p").send());
    // Both reach the lab (its delay route counts them on arrival), then the
    // connection goes silent before their responses.
    while s.lab.ledger().count("get") + s.lab.ledger().count("post") < 2 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let since = s.blackhole();

    let post = post.await.unwrap().expect_err("the POST's outcome is unknown");
    let post_after = since.elapsed();
    assert_eq!(post.processing(), Some(Processing::MaybeProcessed), "{post}");
    assert!(post.to_string().contains("keep-alive"), "{post}");
    assert!(post_after >= TIMEOUT && post_after <= INTERVAL + TIMEOUT + SLACK, "{post_after:?}");

    let get = get.await.unwrap().expect("the GET is retried elsewhere");
    let get_after = since.elapsed();
    assert_eq!(get.attempts().len(), 2, "{:#?}", get.attempts());
    assert!(
        get.attempts()[0].error.as_deref().is_some_and(|e| e.contains("keep-alive")),
        "{:#?}",
        get.attempts()
    );
    assert_ne!(get.attempts()[0].connection_id, get.attempts()[1].connection_id);
    get.bytes().await.unwrap();
    // The retry waits out the route's delay once more.
    assert!(get_after <= INTERVAL + TIMEOUT + delay + SLACK, "{get_after:?}");

    assert_eq!(s.lab.ledger().count("post"), 1);
    assert_eq!(s.lab.ledger().count("get"), 2, "rule 2: the GET was sent again once");
    s.stop().await;
}

/// An idle pooled connection goes silent; the next request reuses it. It
/// has been silent for longer than the interval, so its PING goes out with
/// the request, and the connection is known dead `keepalive_timeout` later:
/// the GET is retried on a new connection.
#[tokio::test(start_paused = true)]
async fn a_request_on_a_silent_idle_connection_is_retried_after_the_keepalive_timeout() {
    let _ticker = tick_slowly();
    let s = setup(Client::builder()).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    let since = s.blackhole();
    let resp = s.client.get(s.proxy.url("/bytes/100")).send().await.expect("retried elsewhere");
    let after = since.elapsed();
    assert_eq!(resp.attempts().len(), 2, "{:#?}", resp.attempts());
    assert!(after >= TIMEOUT && after <= TIMEOUT + SLACK, "{after:?}");
    resp.bytes().await.unwrap();
    assert_eq!(s.client.stats().connections_opened, 2);
    s.stop().await;
}

/// Without the keep-alive (`http2_keep_alive_interval(None)`), the same
/// request is still waiting a minute later: what every request on a dead
/// connection did before (and does in hyper-util and reqwest by default).
#[tokio::test(start_paused = true)]
async fn without_keepalive_the_request_waits() {
    let _ticker = tick_slowly();
    let s = setup(Client::builder().http2_keep_alive_interval(None)).await;
    tokio::time::sleep(Duration::from_secs(30)).await;
    s.blackhole();
    let pending = s.client.get(s.proxy.url("/bytes/100")).send();
    assert!(tokio::time::timeout(Duration::from_secs(60), pending).await.is_err(), "no answer, no error");
    s.stop().await;
}

/// A healthy connection whose server takes its time costs nothing: the
/// PINGs sent during the silence are answered, and the response arrives on
/// the first attempt. Two PINGs in a row without response data, then none
/// for five minutes (gRPC servers' "too_many_pings" rule).
#[tokio::test(start_paused = true)]
async fn a_slow_response_on_a_healthy_connection_is_not_a_dead_connection() {
    let _ticker = tick_slowly();
    let s = setup(Client::builder()).await;
    let before = s.proxy.stats().bytes_to_server;
    let resp = s.client.get(s.proxy.url("/delay/60000")).send().await.expect("a slow answer");
    assert_eq!(resp.attempts().len(), 1);
    resp.bytes().await.unwrap();
    // The request's HEADERS (about 40 bytes) and two PINGs of 17 bytes.
    let sent = s.proxy.stats().bytes_to_server - before;
    assert!((2 * 17..3 * 17 + 64).contains(&sent), "{sent} bytes sent for one request and its PINGs");
    assert_eq!(s.client.stats().connections_opened, 1);
    s.stop().await;
}
