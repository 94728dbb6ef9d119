//! Request dispatch through the whole client: pool checkout, the retry loop,
//! the connection's driver or exchange, and the response body, against the
//! in-process lab on 127.0.0.1.
//!
//! - `one_request`: one GET at a time on a warm connection (latency of the
//!   client's path plus a loopback round trip).
//! - `64_concurrent`: 64 GETs at once on one HTTP/2 connection, the pool's
//!   checkout under contention and the driver's write batching; reported
//!   per request.
//! - `body_1mib`: one GET of a 1 MiB body read with `Response::chunk`, the
//!   body's path from the connection to the caller (flow-control credit
//!   included); reported in bytes.
//!
//! The lab shares the machine, so compare runs of this benchmark with each
//! other (before and after a change), not with other tools.

use std::sync::Arc;

use baton::Client;
use baton_lab::{Lab, LabOptions, Scenario};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;

async fn get(client: &Client, url: &str) -> usize {
    let resp = client.get(url).send().await.expect("lab answers");
    resp.bytes().await.expect("lab sends the body").len()
}

async fn chunks(client: &Client, url: &str) -> usize {
    let mut resp = client.get(url).send().await.expect("lab answers");
    let mut n = 0;
    while let Some(chunk) = resp.chunk().await.expect("lab sends the body") {
        n += chunk.len();
    }
    n
}

fn concurrent(rt: &Runtime, client: &Arc<Client>, url: &Arc<str>, n: usize) {
    rt.block_on(async {
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move { get(&client, &url).await })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("task"), 100);
        }
    });
}

fn dispatch(c: &mut Criterion) {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let lab = rt.block_on(Lab::start(LabOptions::new(Scenario::Normal))).expect("lab starts");
    let url: Arc<str> = lab.url("/bytes/100").into();
    let h2 = Arc::new(Client::builder().http2_prior_knowledge().build().expect("client"));
    let h1 = Arc::new(Client::builder().http1_only().build().expect("client"));
    // Warm: connections exist before measuring.
    concurrent(&rt, &h2, &url, 64);
    concurrent(&rt, &h1, &url, 64);

    let mut g = c.benchmark_group("dispatch");
    g.throughput(Throughput::Elements(1));
    g.bench_function("h2_one_request", |b| b.iter(|| rt.block_on(get(&h2, &url))));
    g.bench_function("h1_one_request", |b| b.iter(|| rt.block_on(get(&h1, &url))));
    g.throughput(Throughput::Elements(64));
    g.bench_function("h2_64_concurrent", |b| b.iter(|| concurrent(&rt, &h2, &url, 64)));
    g.bench_function("h1_64_concurrent", |b| b.iter(|| concurrent(&rt, &h1, &url, 64)));
    let big = lab.url("/bytes/1048576");
    g.throughput(Throughput::Bytes(1 << 20));
    g.bench_function("h2_body_1mib", |b| b.iter(|| rt.block_on(chunks(&h2, &big))));
    g.bench_function("h1_body_1mib", |b| b.iter(|| rt.block_on(chunks(&h1, &big))));
    g.finish();
    rt.block_on(lab.stop());
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
