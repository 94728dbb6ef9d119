//! Timeouts, each on tokio's paused clock against servers on 127.0.0.1 in
//! the same (current-thread) runtime: TCP connect, TLS handshake, the wait
//! for the server's SETTINGS, the response head, an idle body read, and the
//! total deadline across retries and over a trickled body.
//!
//! # Keeping a paused clock deterministic
//! With `start_paused`, tokio moves the clock to the next timer whenever the
//! runtime has nothing to run — even while bytes are still crossing the
//! loopback, because socket readiness is only collected at that same moment.
//! A timer could then fire before an answer that real time would deliver in
//! microseconds. Two tools prevent it:
//! - [`Awake`] keeps a task yielding, so the runtime is never idle and the
//!   clock stands still. A test holds it while connections are set up and
//!   requests reach the server, and drops it once the only thing left to
//!   happen is the timeout under test: the clock then jumps straight to it,
//!   and the time to error is exact.
//! - [`Ticker`], for the retry test where I/O and timers alternate without
//!   end: a task sleeping 1 ms in a loop, so each idle moment moves the clock
//!   by 1 ms at most (a slow-motion real clock).

mod common;

use std::time::Duration;

use baton::{Client, Processing, RetryPolicy};
use baton_lab::script::{Frame, ScriptServer, Settings};
use baton_lab::{Lab, LabOptions, Scenario};
use bytes::Bytes;
use common::{recv_headers_of, stay_awake, tick_slowly};
use tokio::time::Instant;

/// Long enough that no server-side timeout of the script DSL fires before
/// the client's, on a clock that jumps.
const SERVER_PATIENCE: Duration = Duration::from_secs(3600);

fn builder() -> baton::ClientBuilder {
    Client::builder().http2_prior_knowledge().retry(RetryPolicy::never())
}

async fn script_server() -> ScriptServer {
    ScriptServer::bind().await.unwrap().with_timeout(SERVER_PATIENCE)
}

/// TCP connect: a listener with backlog 0 whose accept queue holds one
/// connection already, so the kernel drops the client's SYN (Linux) and the
/// connect can only end by the connect timeout. Afterwards the queue is
/// drained and the same origin answers: the timed-out connect left nothing
/// behind that wedges it.
#[tokio::test(start_paused = true)]
async fn connect_timeout() {
    use socket2::{Domain, Socket, Type};
    let awake = stay_awake();
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap();
    socket.listen(0).unwrap();
    let listener: std::net::TcpListener = socket.into();
    let addr = listener.local_addr().unwrap();
    // Blocking connect: returns once the handshake is done, i.e. once the
    // connection sits in the (now full) accept queue.
    let filler = std::net::TcpStream::connect(addr).unwrap();
    let client = Client::builder()
        .http2_prior_knowledge()
        .retry(RetryPolicy::never())
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let url = format!("http://{addr}/");
    let start = Instant::now();
    // Nothing else can happen: let the clock run to the connect timeout.
    drop(awake);
    let err = client.get(&url).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("connect to"), "{err}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));

    // Drain the queue, then serve the origin properly.
    let _awake = stay_awake();
    let (queued, _) = listener.accept().unwrap();
    drop((queued, filler));
    let server = ScriptServer::from_listener(listener).unwrap().with_timeout(SERVER_PATIENCE);
    let script = server.spawn(baton_lab::script::Script::new().handshake().expect_request().respond(
        1,
        200,
        b"reachable",
    ));
    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "reachable");
    script.await.unwrap().unwrap();
}

/// TLS handshake: a TCP listener that accepts and never answers the
/// ClientHello. The connect timeout covers the handshake on its own (after
/// TCP connected), and the error names it.
#[tokio::test(start_paused = true)]
async fn tls_handshake_timeout() {
    let awake = stay_awake();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepted_tx, accepted_rx) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        accepted_tx.send(()).unwrap();
        // Reads the ClientHello and whatever follows, answers nothing.
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut sink).await;
        sink.len()
    });
    let client = Client::builder()
        .danger_accept_invalid_certs(true)
        .retry(RetryPolicy::never())
        .connect_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let request = tokio::spawn(async move {
        let start = Instant::now();
        let result = client.get(format!("https://localhost:{}/", addr.port())).send().await;
        (result, start.elapsed())
    });
    accepted_rx.await.unwrap();
    drop(awake);
    let (result, took) = request.await.unwrap();
    let err = result.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("TLS handshake with https://localhost"), "{err}");
    assert_eq!(took, Duration::from_secs(3));
    // The client closed the connection: the server saw its ClientHello, then EOF.
    let client_hello = server.await.unwrap();
    assert!(client_hello > 0);
}

/// Response head: the server takes the request and says nothing. The
/// response timeout ends the attempt (not retried); the stream is reset,
/// and the connection is still good for the next request.
#[tokio::test(start_paused = true)]
async fn response_head_timeout() {
    let awake = stay_awake();
    let server = script_server().await;
    let url = format!("{}/slow", server.url());
    let (seen_tx, seen_rx) = tokio::sync::oneshot::channel();
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        seen_tx.send(()).unwrap();
        // The caller that timed out tells the driver at once, so the
        // RST_STREAM of stream 1 comes before the second request's HEADERS.
        let reset = loop {
            match conn.recv_frame().await.unwrap().expect("client closed") {
                Frame::RstStream(r) if r.stream_id.value() == 1 => break r.reason,
                Frame::Headers(h) => panic!("stream {} opened before stream 1 was reset", h.stream_id),
                _ => {}
            }
        };
        recv_headers_of(&mut conn, 3).await;
        conn.respond(3, 200, b"0123456789").await.unwrap();
        reset
    });
    let client = builder().response_timeout(Duration::from_millis(100)).build().unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        async move {
            let start = Instant::now();
            let result = client.get(&url).send().await;
            (result, start.elapsed())
        }
    });
    seen_rx.await.unwrap();
    drop(awake);
    let (result, took) = first.await.unwrap();
    let err = result.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("no response head within 100ms"), "{err}");
    assert_eq!(took, Duration::from_millis(100));
    // The request was sent and never answered: the server may have it.
    assert_eq!(err.processing(), Some(Processing::MaybeProcessed));
    assert_eq!(err.attempts().len(), 1, "the timed-out attempt is in the journal");
    assert_eq!(err.attempts()[0].processing, Some(Processing::MaybeProcessed));

    let _awake = stay_awake();
    let resp = client.get(&url).send().await.unwrap();
    assert!(resp.attempts()[0].reused, "same connection");
    assert_eq!(resp.bytes().await.unwrap().len(), 10);
    assert_eq!(script.await.unwrap(), baton_lab::script::Reason::CANCEL, "the abandoned stream is reset");
}

/// Idle body read: the head and a first chunk arrive, then nothing. The
/// read timeout fails the read as ResponseStarted.
#[tokio::test(start_paused = true)]
async fn idle_body_read_timeout() {
    let _awake_until_head = stay_awake();
    let server = script_server().await;
    let url = format!("{}/stall", server.url());
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        let head = conn.headers(1, &[(":status", "200")], false);
        conn.send_all(&[head, baton_lab::script::frames::data(1, &[b'a'; 1000], false)]).await.unwrap();
        // Then silence (the test aborts this task).
        std::future::pending::<()>().await
    });
    let client = builder().read_timeout(Duration::from_millis(100)).build().unwrap();
    let mut resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.chunk().await.unwrap(), Some(Bytes::from(vec![b'a'; 1000])));
    drop(_awake_until_head);
    let start = Instant::now();
    let err = resp.chunk().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted));
    assert_eq!(start.elapsed(), Duration::from_millis(100));
    script.abort();
}

/// The total deadline covers the body too: a body trickled one byte every
/// 400 ms never trips the 500 ms idle limit, and still ends when the
/// request's 2 s are up.
#[tokio::test(start_paused = true)]
async fn total_deadline_covers_a_trickled_body() {
    let _tick = tick_slowly();
    let server = script_server().await;
    let url = format!("{}/trickle", server.url());
    let script = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(Settings::default()).await.unwrap();
        conn.recv_request_head().await.unwrap();
        let head = conn.headers(1, &[(":status", "200")], false);
        conn.send_all(&[head]).await.unwrap();
        loop {
            tokio::time::sleep(Duration::from_millis(400)).await;
            if conn.send_all(&[baton_lab::script::frames::data(1, b"x", false)]).await.is_err() {
                return;
            }
        }
    });
    let client =
        builder().read_timeout(Duration::from_millis(500)).timeout(Duration::from_secs(2)).build().unwrap();
    let start = Instant::now();
    let mut resp = client.get(&url).send().await.unwrap();
    let mut received = 0;
    let err = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => panic!("the trickled body cannot end"),
            Err(e) => break e,
        }
    };
    let elapsed = start.elapsed();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("while reading the body"), "{err}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted));
    assert!((3..=5).contains(&received), "{received} bytes in 2 s at one per 400 ms");
    assert!(elapsed >= Duration::from_secs(2) && elapsed < Duration::from_millis(2010), "{elapsed:?}");
    script.abort();
}

/// The total deadline covers retries and back-off, and the error keeps the
/// attempts made so far. Every connection says GOAWAY(0) at once
/// (node-close); the retries, backing off 50 ms each, would go on to the
/// attempt cap, but the 300 ms deadline ends them first.
#[tokio::test(start_paused = true)]
async fn total_deadline_covers_retries() {
    let lab = {
        let _awake = stay_awake();
        Lab::start(LabOptions::new(Scenario::NodeClose { connections: u32::MAX })).await.unwrap()
    };
    let client = Client::builder()
        .http2_prior_knowledge()
        .retry(
            RetryPolicy::default()
                .max_attempts(1000)
                .backoff(Duration::from_millis(50), Duration::from_millis(50)),
        )
        .build()
        .unwrap();
    let ticker = tick_slowly();
    let start = Instant::now();
    let err = client.get(lab.url("/")).timeout(Duration::from_millis(300)).send().await.unwrap_err();
    let took = start.elapsed();
    drop(ticker);
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("request timed out after 300ms"), "{err}");
    assert_eq!(took, Duration::from_millis(300));
    let attempts = err.attempts();
    assert!(attempts.len() >= 2, "attempts so far are kept: {err:?}");
    // Every attempt that ended was refused by GOAWAY(0) and retried; one cut
    // off in flight (if the deadline did not fall in a back-off) is in the
    // journal too, with an unknown outcome, and then so is the request.
    let (last, ended) = attempts.split_last().unwrap();
    assert!(ended.iter().all(|a| a.retried.is_some()), "{attempts:#?}");
    if last.retried.is_some() {
        // Refused before or as it was sent: the server never had it.
        assert!(err.processing().is_some_and(|p| p.is_safe_to_retry()), "{err:?}");
    } else {
        assert_eq!(last.processing, Some(Processing::MaybeProcessed), "{last:?}");
        assert_eq!(err.processing(), Some(Processing::MaybeProcessed), "{err:?}");
    }
    let _awake = stay_awake();
    lab.stop().await;
}

/// A request that times out while its connection is being set up (the
/// server accepted TCP but never sends its SETTINGS) must not leave the
/// origin waiting forever for that connection: the next request connects
/// again and succeeds.
#[tokio::test(start_paused = true)]
async fn a_timeout_during_connect_does_not_wedge_the_origin() {
    use baton_lab::script::Script;
    let awake = stay_awake();
    let server = script_server().await;
    let url = format!("{}/", server.url());
    let (accepted_tx, accepted_rx) = tokio::sync::oneshot::channel();
    let scripts = tokio::spawn(async move {
        // The first connection is accepted and never answered (no SETTINGS).
        let silent = server.accept().await.unwrap();
        accepted_tx.send(()).unwrap();
        let mut working = server.accept().await.unwrap();
        working.run(&Script::new().handshake().expect_request().respond(1, 200, b"ok")).await.unwrap();
        drop(silent);
    });
    let client = builder().build().unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        let url = url.clone();
        async move {
            let start = Instant::now();
            let result = client.get(&url).timeout(Duration::from_millis(200)).send().await;
            (result, start.elapsed())
        }
    });
    accepted_rx.await.unwrap();
    drop(awake);
    let (result, took) = first.await.unwrap();
    let err = result.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(took, Duration::from_millis(200));

    let _awake = stay_awake();
    let resp = client.get(&url).timeout(Duration::from_secs(5)).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "ok");
    scripts.await.unwrap();
}
