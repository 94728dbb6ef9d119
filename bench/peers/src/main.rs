//! `peers <hyper|reqwest> <h2|h1> URL N CONCURRENCY`: the same closed-loop
//! load as `baton bench -n N -c CONCURRENCY`, on hyper-util's legacy client
//! or reqwest, reading every body to the end. Prints one JSON line:
//! requests, failed, seconds, req_per_s.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[derive(Clone, Copy, PartialEq)]
enum Peer {
    Hyper,
    Reqwest,
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [peer, proto, url, n, c] = args.as_slice() else {
        eprintln!("usage: peers <hyper|reqwest> <h2|h1> URL N CONCURRENCY");
        std::process::exit(2);
    };
    let peer = if peer == "hyper" { Peer::Hyper } else { Peer::Reqwest };
    let h2 = proto == "h2";
    let n: u64 = n.parse().expect("N");
    let c: usize = c.parse().expect("CONCURRENCY");
    let uri: hyper::Uri = url.parse().expect("URL");
    let hyper_client = {
        let mut b = Client::builder(TokioExecutor::new());
        b.http2_only(h2).pool_max_idle_per_host(c);
        b.build_http::<Empty<bytes::Bytes>>()
    };
    let reqwest_client = {
        let b = reqwest::Client::builder();
        let b = if h2 { b.http2_prior_knowledge() } else { b.http1_only() };
        b.pool_max_idle_per_host(c).build().expect("reqwest client")
    };
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..c {
        let (next, failed) = (next.clone(), failed.clone());
        let (hyper_client, reqwest_client, uri, url) =
            (hyper_client.clone(), reqwest_client.clone(), uri.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let ok = match peer {
                    Peer::Hyper => match hyper_client.get(uri.clone()).await {
                        Ok(resp) => resp.into_body().collect().await.is_ok(),
                        Err(_) => false,
                    },
                    Peer::Reqwest => match reqwest_client.get(&url).send().await {
                        Ok(resp) => resp.bytes().await.is_ok(),
                        Err(_) => false,
                    },
                };
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"requests\":{n},\"failed\":{},\"seconds\":{secs:.6},\"req_per_s\":{:.1}}}",
        failed.load(Ordering::Relaxed),
        n as f64 / secs
    );
}
