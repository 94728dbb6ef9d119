//! `peers <hyper|reqwest> <h2|h1> URL N CONCURRENCY`: the same closed-loop
//! load as `baton bench -n N -c CONCURRENCY` (`src/lib.rs`), on hyper-util's
//! legacy client or reqwest, reading every body to the end. Prints one JSON
//! line: requests, failed, seconds, req_per_s.

use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const USAGE: &str = "peers <hyper|reqwest> <h2|h1> URL N CONCURRENCY";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [peer, proto, url, n, c] = args.as_slice() else {
        eprintln!("usage: {USAGE}");
        std::process::exit(2);
    };
    let h2 = proto == "h2";
    let (n, c) = baton_bench_peers::counts(n, c, USAGE);
    if peer == "hyper" {
        let uri: hyper::Uri = url.parse().expect("URL");
        let client = {
            let mut b = Client::builder(TokioExecutor::new());
            b.http2_only(h2).pool_max_idle_per_host(c);
            b.build_http::<Empty<bytes::Bytes>>()
        };
        baton_bench_peers::closed_loop(n, c, move || {
            let (client, uri) = (client.clone(), uri.clone());
            async move {
                match client.get(uri).await {
                    Ok(resp) => resp.into_body().collect().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
    } else {
        let client = {
            let b = reqwest::Client::builder();
            let b = if h2 { b.http2_prior_knowledge() } else { b.http1_only() };
            b.pool_max_idle_per_host(c).build().expect("reqwest client")
        };
        // Cloned per request: an Arc, not a String.
        let url: std::sync::Arc<str> = url.as_str().into();
        baton_bench_peers::closed_loop(n, c, move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                match client.get(&*url).send().await {
                    Ok(resp) => resp.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        })
        .await;
    }
}
