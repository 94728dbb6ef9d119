//! `Client::shutdown` (issue 16, defect 2): a bounded, graceful close that
//! says GOAWAY(NO_ERROR), lets streams in flight finish until the grace
//! ends and cancels them after, flushes what is queued, closes TLS with its
//! close_notify, and takes no request afterwards.

use std::time::{Duration, Instant};

use baton::{Client, Processing, Reason};
use baton_lab::script::{Frame, Matcher, ScriptServer, Settings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn client() -> Client {
    Client::builder().http2_prior_knowledge().retry(baton::RetryPolicy::never()).build().unwrap()
}

/// An idle HTTP/2 connection: GOAWAY(NO_ERROR), then EOF; the client
/// takes no request afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_http2_connection_says_goaway_and_closes() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/x", server.url());
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        conn.respond(1, 200, b"ok").await.unwrap();
        let g = conn.expect_frame(&Matcher::go_away()).await.unwrap();
        conn.expect_eof().await.unwrap();
        g
    });
    let client = client();
    assert_eq!(client.get(&url).send().await.unwrap().text().await.unwrap(), "ok");
    assert!(client.shutdown(Duration::from_secs(5)).await, "every connection closed");
    let Frame::GoAway(g) = script.await.unwrap() else { unreachable!() };
    assert_eq!(g.error_code, Reason::NO_ERROR);
    let err = client.get(&url).send().await.unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert_eq!(err.processing(), None, "nothing was sent");
}

/// A stream in flight finishes within the grace: the server gets GOAWAY
/// first, answers, and the caller gets its whole response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_in_flight_finishes_within_the_grace() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/x", server.url());
    let (head_tx, head) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        let _ = head_tx.send(());
        conn.expect_frame(&Matcher::go_away().reason(Reason::NO_ERROR)).await.unwrap();
        conn.respond(1, 200, b"late but whole").await.unwrap();
        conn.expect_eof().await.unwrap();
    });
    let client = client();
    let request = tokio::spawn(client.get(&url).send());
    head.await.unwrap();
    let closed = client.shutdown(Duration::from_secs(5)).await;
    let resp = request.await.unwrap().unwrap();
    assert_eq!(resp.text().await.unwrap(), "late but whole");
    assert!(closed);
    script.await.unwrap();
}

/// A stream still open when the grace ends is cancelled: the request
/// fails (its head was sent: `MaybeProcessed`) and the connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_past_the_grace_is_cancelled() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/x", server.url());
    let (head_tx, head) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        let _ = head_tx.send(());
        conn.expect_frame(&Matcher::go_away().reason(Reason::NO_ERROR)).await.unwrap();
        // Never answers: the client closes at the end of the grace.
        conn.expect_eof().await.unwrap();
    });
    let client = client();
    let request = tokio::spawn(client.get(&url).send());
    head.await.unwrap();
    let start = Instant::now();
    let grace = Duration::from_millis(300);
    assert!(client.shutdown(grace).await);
    assert!(start.elapsed() >= grace, "closed before the grace ended");
    let err = request.await.unwrap().unwrap_err();
    assert_eq!(err.processing(), Some(Processing::MaybeProcessed), "{err:?}");
    script.await.unwrap();
}

/// TLS closes with its close_notify: the server's TLS layer reads a clean
/// end of stream, not a truncation (an idle HTTP/1.1 connection, closed at
/// once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_is_closed_with_close_notify() {
    let identity = baton_lab::tls::TestCertificate::generate().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(identity.server_config(&[b"http/1.1"]).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://localhost:{}/x", listener.local_addr().unwrap().port());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tls.read(&mut buf).await.unwrap();
            assert!(n > 0, "the request head was cut short");
            head.extend_from_slice(&buf[..n]);
        }
        tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.unwrap();
        tls.flush().await.unwrap();
        // Ok(0) only after a close_notify; a bare FIN is an error here.
        tls.read(&mut buf).await
    });
    let client = Client::builder()
        .add_root_certificate(identity.cert.to_vec())
        .tls_built_in_roots(false)
        .build()
        .unwrap();
    assert_eq!(client.get(&url).send().await.unwrap().text().await.unwrap(), "ok");
    assert!(client.shutdown(Duration::from_secs(5)).await);
    let end = server.await.unwrap();
    assert!(matches!(end, Ok(0)), "the server saw {end:?}, not a close_notify");
}
