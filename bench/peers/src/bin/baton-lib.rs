//! `baton-lib <h2|h1> URL N CONCURRENCY`: the peers' harness (`src/lib.rs`)
//! on baton's library instead of hyper-util or reqwest. Same closed loop,
//! same reading of every body to the end, same one JSON line, none of
//! `baton bench`'s extras (argument parsing, latency histogram, progress,
//! report). `bench/run` reports it beside `baton bench`, so the client's
//! own cost can be told from the command line's.

const USAGE: &str = "baton-lib <h2|h1> URL N CONCURRENCY";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [proto, url, n, c] = args.as_slice() else {
        eprintln!("usage: {USAGE}");
        std::process::exit(2);
    };
    let (n, c) = baton_bench_peers::counts(n, c, USAGE);
    // As `baton bench --connections 1` for HTTP/2; HTTP/1.1 opens a
    // connection per request in flight.
    let builder = baton::Client::builder().max_connections_per_origin(1);
    let builder = if proto == "h2" { builder.http2_prior_knowledge() } else { builder.http1_only() };
    let client = builder.build().expect("baton client");
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
