//! A streamed request body whose source fails is not sent again: a retry
//! would replay what was read and then poll the failed source on, which
//! may end the body there, and the server would take a cut-short body as
//! whole (found in review; each test failed before the fix).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Chunks from a channel; the producer decides when the body fails.
struct Chan(mpsc::Receiver<Result<Bytes, BoxError>>);

impl http_body::Body for Chan {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        self.0.poll_recv(cx).map(|o| o.map(|r| r.map(http_body::Frame::data)))
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

/// An HTTP/1.1 server that answers each complete chunked request with 200
/// and records the raw bytes each connection received.
async fn recording_server() -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // What each connection received, raw.
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut s, _) = listener.accept().await.unwrap();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                loop {
                    match s.read(&mut tmp).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&tmp[..n]),
                    }
                    // A complete chunked request: answer it.
                    if find(&buf, b"\r\n0\r\n\r\n").is_some() {
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
                        break;
                    }
                }
                seen.lock().unwrap().push(buf);
            });
        }
    });
    (port, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_streaming_body_is_not_resent_truncated() {
    let (port, seen) = recording_server().await;

    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        tx.send(Ok(Bytes::from_static(b"first-half;"))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        // e.g. the file being uploaded could not be read further
        tx.send(Err("disk read failed".into())).await.unwrap();
        // tx dropped: like tokio_util::io::ReaderStream, the stream ends after its error
    });

    let client = baton::Client::builder().http1_only().build().unwrap();
    let result =
        client.put(format!("http://127.0.0.1:{port}/object")).body(baton::Body::wrap(Chan(rx))).send().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = seen.lock().unwrap().clone();
    for (i, raw) in seen.iter().enumerate() {
        eprintln!("connection {i} received:\n{}\n---", String::from_utf8_lossy(raw));
    }
    match &result {
        Ok(resp) => {
            for a in resp.attempts() {
                eprintln!("attempt: {a}");
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
    assert!(
        result.as_ref().is_err_and(|e| e.is_body()),
        "the body failed, yet the request succeeded: the server got a truncated body as complete"
    );
}

/// A POST whose body fails at once: when the failure beats the head's write
/// (the exchange's `select!` is unbiased) the attempt is `NotSent`, and the
/// retry sends the POST with an empty body as if complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_whose_body_failed_is_never_sent_empty() {
    let (port, seen) = recording_server().await;

    let client = baton::Client::builder().http1_only().build().unwrap();
    let mut succeeded = 0;
    for _ in 0..40 {
        let (tx, rx) = mpsc::channel(4);
        tx.send(Err("source failed".into())).await.unwrap();
        drop(tx);
        let r = client
            .post(format!("http://127.0.0.1:{port}/orders"))
            .body(baton::Body::wrap(Chan(rx)))
            .send()
            .await;
        if r.is_ok() {
            succeeded += 1;
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let complete = seen.lock().unwrap().iter().filter(|r| find(r, b"\r\n0\r\n\r\n").is_some()).count();
    eprintln!(
        "{succeeded} of 40 POSTs with a failed body returned OK; server got {complete} complete (empty) POSTs"
    );
    assert_eq!(succeeded, 0);
}

/// HTTP/2: a body that fails after its head and first chunk went out is
/// reported as far as it got. The stream is reset first, so its journal
/// must be read before: it had read as "queued", and `NotSent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_a_body_that_failed_mid_way_keeps_its_verdict() {
    use baton_lab::script::{Frame, ScriptServer, Settings};
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/upload", server.url());
    let (tx, rx) = mpsc::channel(4);
    tx.send(Ok(Bytes::from_static(b"first"))).await.unwrap();
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        while !matches!(conn.recv_frame().await.unwrap(), Some(Frame::Data(d)) if !d.data.is_empty()) {}
        tx.send(Err("disk read failed".into())).await.unwrap();
        while !matches!(conn.recv_frame().await.unwrap(), Some(Frame::RstStream(_))) {}
        conn
    });
    let client = baton::Client::builder().http2_prior_knowledge().build().unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(10),
        client.post(&url).body(baton::Body::wrap(Chan(rx))).send(),
    )
    .await
    .expect("the request hung")
    .unwrap_err();
    assert!(err.is_body(), "{err}");
    assert_eq!(err.processing(), Some(baton::Processing::MaybeProcessed), "{err}");
    let attempt = &err.attempts()[0];
    assert_eq!(attempt.body_sent, 5, "{attempt}");
    drop(script.await.unwrap());
}
