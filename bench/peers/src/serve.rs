//! The server of the scale harness (`src/bin/scale.rs`): one process that
//! listens on many 127.0.0.1 ports (an origin each) and answers HTTP/1.1 and
//! HTTP/2 with prior knowledge on each (hyper-util's auto connection
//! builder, which tells them apart by the preface). `GET /hold/MS` answers
//! after MS milliseconds (streams held in flight); any other path answers
//! 100 bytes at once.
//!
//! It prints `ports P1 P2 ...` on stdout once every listener is bound. Each
//! line read on stdin is answered with `accepted A open O` (connections
//! accepted so far, and open now); at the end of stdin it exits, so it
//! never outlives the harness that started it.

use std::convert::Infallible;
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

const BODY: &[u8] = &[b'x'; 100];

#[derive(Default)]
struct Counts {
    accepted: AtomicI64,
    open: AtomicI64,
}

/// Listens on `ports` ports with SETTINGS_MAX_CONCURRENT_STREAMS
/// `max_streams` on each HTTP/2 connection, and serves until stdin ends.
///
/// # Errors
/// A port that could not be bound.
pub async fn serve(ports: usize, max_streams: u32) -> std::io::Result<()> {
    crate::measure::raise_fd_limit();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http2().max_concurrent_streams(max_streams);
    let builder = Arc::new(builder);
    let counts = Arc::new(Counts::default());
    let mut line = String::from("ports");
    for _ in 0..ports {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        line.push_str(&format!(" {}", listener.local_addr()?.port()));
        let (builder, counts) = (builder.clone(), counts.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                counts.accepted.fetch_add(1, Ordering::Relaxed);
                counts.open.fetch_add(1, Ordering::Relaxed);
                let (builder, counts) = (builder.clone(), counts.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(answer);
                    let _ = builder.serve_connection(TokioIo::new(stream), service).await;
                    counts.open.fetch_sub(1, Ordering::Relaxed);
                });
            }
        });
    }
    println!("{line}");
    std::io::stdout().flush()?;
    // Stdin on a thread of its own: a blocking read.
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for l in stdin.lock().lines() {
            if l.is_err() {
                break;
            }
            println!(
                "accepted {} open {}",
                counts.accepted.load(Ordering::Relaxed),
                counts.open.load(Ordering::Relaxed)
            );
            let _ = std::io::stdout().flush();
        }
        std::process::exit(0);
    });
    std::future::pending::<()>().await;
    Ok(())
}

async fn answer(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if let Some(ms) = req.uri().path().strip_prefix("/hold/").and_then(|ms| ms.parse().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    Ok(Response::new(Full::new(Bytes::from_static(BODY))))
}
