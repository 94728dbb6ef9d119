//! Spreading (`baton::Spread`) against real nginx (from apt; skipped with a
//! note when it is not installed): three instances on 127.0.0.1, .2 and .3,
//! one host name resolved to all three (`resolve_to_addrs`), one reloaded
//! and another stopped during the run: every request succeeds, each
//! backend's share is counted from its access log. Then one backend with
//! several connections, and a client-side maximum connection age.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use baton::{Client, Spread};
use baton_lab::nginx::{Listener, Nginx, NginxOptions, Protocol};
use tokio::sync::Semaphore;

const CONCURRENCY: usize = 32;

fn nginx_on(ip: Ipv4Addr) -> Option<Nginx> {
    if Nginx::find().is_none() {
        println!("skipped: nginx is not installed (apt-get install nginx)");
        return None;
    }
    let mut options = NginxOptions::new(Protocol::H2c);
    options.listeners = vec![Listener::new(Protocol::H2c).on(IpAddr::V4(ip))];
    options.access_log = true;
    Some(Nginx::start(&options).expect("nginx starts"))
}

/// Lines in a backend's access log: the requests it answered.
fn served(nginx: &Nginx) -> usize {
    std::fs::read_to_string(nginx.access_log()).map_or(0, |log| log.lines().count())
}

/// `total` GETs at concurrency 32 to `url`, `during(i)` called before the
/// i-th; returns the failures' text.
async fn load(client: &Client, url: &str, total: usize, mut during: impl FnMut(usize)) -> Vec<String> {
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        during(i);
        let permit = limit.clone().acquire_owned().await.unwrap();
        let (client, url) = (client.clone(), url.to_owned());
        tasks.push(tokio::spawn(async move {
            let result = async { client.get(&url).send().await?.bytes().await }.await;
            drop(permit);
            result.map(drop).map_err(|e| e.to_string())
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        if let Err(e) = tokio::time::timeout(Duration::from_secs(60), t).await.expect("hung").unwrap() {
            failures.push(e);
        }
    }
    failures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_backends_one_reloaded_one_stopped_lose_nothing() {
    let ips = [Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3)];
    let mut backends = Vec::new();
    for ip in ips {
        let Some(n) = nginx_on(ip) else { return };
        backends.push(Some(n));
    }
    let addrs: Vec<SocketAddr> = backends.iter().flatten().map(Nginx::addr).collect();
    let client = Client::builder()
        .http2_prior_knowledge()
        .resolve_to_addrs("backends.test", &addrs)
        .http2_spread(Spread::off().connections(3))
        .build()
        .unwrap();
    let url = format!("http://backends.test:{}/bytes/100", addrs[0].port());
    let total = 6_000;
    let mut before_stop = [0usize; 3];
    let failures = load(&client, &url, total, |i| {
        if i == 2_000 {
            backends[1].as_ref().unwrap().reload().unwrap();
        }
        if i == 3_000 {
            for (k, b) in backends.iter().enumerate() {
                before_stop[k] = b.as_ref().map_or(0, served);
            }
            // Stopped: dropping it ends nginx (and its log).
            backends[2] = None;
        }
    })
    .await;
    let after: Vec<usize> = backends.iter().map(|b| b.as_ref().map_or(0, served)).collect();
    let stats = client.stats();
    println!(
        "SPREAD 3 backends, 3 connections, {total} GETs at {CONCURRENCY}: {} failed; before the stop (3,000 sent) \
         127.0.0.1 {} / .2 {} / .3 {}; at the end .1 {} / .2 {} (.3 stopped); {stats:?}",
        failures.len(),
        before_stop[0],
        before_stop[1],
        before_stop[2],
        after[0],
        after[1],
    );
    assert!(failures.is_empty(), "{:?}", &failures[..failures.len().min(5)]);
    for (k, n) in before_stop.iter().enumerate() {
        assert!(*n >= 300, "backend {k} got {n} of the first 3,000: not spread");
    }
    // The stopped backend's share moved to the others.
    assert!(after[0] + after[1] >= total - before_stop[2] - CONCURRENCY, "{after:?} {before_stop:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_backend_several_connections_and_a_maximum_age() {
    let Some(nginx) = nginx_on(Ipv4Addr::LOCALHOST) else { return };
    let url = nginx.url("/bytes/100");
    let client =
        Client::builder().http2_prior_knowledge().http2_spread(Spread::off().connections(4)).build().unwrap();
    let failures = load(&client, &url, 3_000, |_| {}).await;
    let stats = client.stats();
    println!("SPREAD 1 backend, 4 connections: {} failed; {stats:?}", failures.len());
    assert!(failures.is_empty(), "{:?}", &failures[..failures.len().min(5)]);
    assert_eq!(stats.connections_opened, 4, "{stats:?}");

    // Connections rotated every 150-200 ms while 2,000 requests run.
    let client = Client::builder()
        .http2_prior_knowledge()
        .http2_spread(Spread::off().connections(2).max_connection_age(Duration::from_millis(200)))
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    let mut failures = Vec::new();
    while start.elapsed() < Duration::from_secs(1) {
        failures.extend(load(&client, &url, 500, |_| {}).await);
    }
    let stats = client.stats();
    println!("SPREAD 1 backend, 2 connections, max age 200ms: {} failed; {stats:?}", failures.len());
    assert!(failures.is_empty(), "{:?}", &failures[..failures.len().min(5)]);
    assert!(stats.connections_opened >= 4, "connections were rotated: {stats:?}");
}
