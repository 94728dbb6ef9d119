//! The closed loop every client of the peers' harness runs: `c` workers
//! send requests one at a time until `n` have been sent, reading every body
//! to the end; then one JSON line: requests, failed, seconds, req_per_s.
//! The same shape as `baton bench -n N -c C`.

pub mod measure;
pub mod serve;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Runs `n` requests over `c` workers; `request` sends one and says whether
/// it succeeded (status and whole body received).
pub async fn closed_loop<F, Fut>(n: u64, c: usize, request: F)
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..c {
        let (next, failed, request) = (next.clone(), failed.clone(), request.clone());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                if !request().await {
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

/// `N` and `CONCURRENCY` from the command line, or the usage and exit 2.
pub fn counts(n: &str, c: &str, usage: &str) -> (u64, usize) {
    match (n.parse(), c.parse()) {
        (Ok(n), Ok(c)) => (n, c),
        _ => {
            eprintln!("usage: {usage}");
            std::process::exit(2);
        }
    }
}
