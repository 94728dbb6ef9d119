//! `baton-lib <h2|h1> URL N CONCURRENCY`: the peers' harness (`src/main.rs`)
//! on baton's library instead of hyper-util or reqwest. Same closed loop,
//! same reading of every body to the end, same one JSON line, none of
//! `baton bench`'s extras (argument parsing, latency histogram, progress,
//! report). `bench/run` reports it beside `baton bench`, so the client's
//! own cost can be told from the command line's.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [proto, url, n, c] = args.as_slice() else {
        eprintln!("usage: baton-lib <h2|h1> URL N CONCURRENCY");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N");
    let c: usize = c.parse().expect("CONCURRENCY");
    // As `baton bench --connections 1` for HTTP/2; HTTP/1.1 opens a
    // connection per request in flight.
    let builder = baton::Client::builder().max_connections_per_origin(1);
    let builder = if proto == "h2" { builder.http2_prior_knowledge() } else { builder.http1_only() };
    let client = builder.build().expect("baton client");
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..c {
        let (next, failed, client, url) = (next.clone(), failed.clone(), client.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let ok = match client.get(&url).send().await {
                    Ok(resp) => resp.bytes().await.is_ok(),
                    Err(_) => false,
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
