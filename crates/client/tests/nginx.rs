//! Against real nginx (from apt; skipped with a note when it is not
//! installed): HTTP/2 prior knowledge with `keepalive_requests 100`, 20,000
//! GETs and 2,000 POSTs at concurrency 64 — zero failures, at least 100
//! GOAWAYs received; the same with two `nginx -s reload` during the run;
//! and HTTP/1.1 with `keepalive_requests 10`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use baton::Client;
use baton_lab::nginx::{Nginx, NginxOptions, Protocol};
use tokio::sync::Semaphore;

const GETS: usize = 20_000;
const POSTS: usize = 2_000;
const CONCURRENCY: usize = 64;

struct Run {
    failures: Vec<String>,
    latencies: Vec<Duration>,
}

impl Run {
    fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }
}

async fn load(client: &Client, nginx: &Nginx, during: impl FnMut(usize)) -> Run {
    let mut during = during;
    let limit = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(GETS + POSTS);
    for i in 0..GETS + POSTS {
        during(i);
        let permit = limit.clone().acquire_owned().await.unwrap();
        let client = client.clone();
        // Every 11th request is a POST with a small body: 2,000 of 22,000.
        let post = i % 11 == 10;
        let url = if post { nginx.url("/submit") } else { nginx.url("/bytes/100") };
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let request = if post { client.post(&url).body("a small body") } else { client.get(&url) };
            let result = async { request.send().await?.bytes().await }.await;
            drop(permit);
            let method = if post { "POST" } else { "GET" };
            (result.map(|b| b.len()).map_err(|e| format!("{method} {e}")), start.elapsed())
        }));
    }
    let mut run = Run { failures: Vec::new(), latencies: Vec::new() };
    for t in tasks {
        let (result, latency) =
            tokio::time::timeout(Duration::from_secs(60), t).await.expect("hung").unwrap();
        run.latencies.push(latency);
        if let Err(e) = result {
            run.failures.push(e);
        }
    }
    run
}

fn report(name: &str, client: &Client, run: &mut Run) {
    let stats = client.stats();
    println!(
        "{name}: {} requests, {} failed, GOAWAYs {}, retries {:?}, connections {}, p50 {:?}, p99 {:?}, max {:?}",
        run.latencies.len(),
        run.failures.len(),
        stats.go_aways_total(),
        stats.retries,
        stats.connections_opened,
        run.percentile(0.5),
        run.percentile(0.99),
        run.percentile(1.0),
    );
    assert!(run.failures.is_empty(), "{name}: {:?}", &run.failures[..run.failures.len().min(5)]);
}

fn nginx_or_skip(options: NginxOptions) -> Option<Nginx> {
    if Nginx::find().is_none() {
        println!("skipped: nginx is not installed (apt-get install nginx)");
        return None;
    }
    Some(Nginx::start(&options).expect("nginx starts"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_h2_keepalive_requests_100_loses_nothing() {
    let Some(nginx) = nginx_or_skip(NginxOptions::new(Protocol::H2c).keepalive_requests(100)) else { return };
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let mut run = load(&client, &nginx, |_| {}).await;
    report("nginx h2c keepalive_requests=100", &client, &mut run);
    let stats = client.stats();
    assert!(stats.go_aways_total() >= 100, "{stats:?}");
    assert!(stats.retries_total() > 0, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_h2_reloads_lose_nothing() {
    let Some(nginx) = nginx_or_skip(NginxOptions::new(Protocol::H2c).keepalive_requests(100)) else { return };
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let reloads = [(GETS + POSTS) / 3, 2 * (GETS + POSTS) / 3];
    let mut run = load(&client, &nginx, |i| {
        if reloads.contains(&i) {
            nginx.reload().expect("nginx -s reload");
        }
    })
    .await;
    report("nginx h2c with 2 reloads", &client, &mut run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_http1_keepalive_requests_10_loses_nothing() {
    let Some(nginx) = nginx_or_skip(NginxOptions::new(Protocol::Http1).keepalive_requests(10)) else {
        return;
    };
    let client = Client::new();
    let mut run = load(&client, &nginx, |_| {}).await;
    report("nginx http/1.1 keepalive_requests=10", &client, &mut run);
}

/// The same load with no rotation, for the latency baseline the churn runs
/// are compared with (printed, not asserted: speed is for benchmarks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_h2_without_churn_baseline() {
    let Some(nginx) = nginx_or_skip(NginxOptions::default()) else { return };
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let mut run = load(&client, &nginx, |_| {}).await;
    report("nginx h2c without churn", &client, &mut run);
    assert_eq!(client.stats().go_aways_total(), 0);
}
