//! Request bodies and the server's answers to them: `Expect: 100-continue`
//! (RFC 9110 §10.1.1) over HTTP/2 and HTTP/1.1 — the body waits for
//! `100 (Continue)`, goes after one second without an answer, and is never
//! sent after a refusing final status — and a streamed HTTP/2 upload that
//! goes on after the server's complete early response (RFC 9113 §8.1),
//! and stops, its body dropped, when the server resets its stream.
//!
//! The timing tests run on tokio's paused clock with [`tick_slowly`], so the
//! clock moves 1 ms per idle moment and the times asserted are exact to a
//! few milliseconds (see `common`).

mod common;

use std::future::Future;
use std::time::Duration;

use baton::{Client, RetryPolicy};
use baton_lab::script::{Frame, ScriptConn, ScriptServer, Settings, frames};
use bytes::Bytes;
use common::{one_shot, recv_headers_of, tick_slowly};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;

const BODY: usize = 100_000;
const SERVER_PATIENCE: Duration = Duration::from_secs(3600);

fn h2_client() -> Client {
    Client::builder().http2_prior_knowledge().retry(RetryPolicy::never()).build().unwrap()
}

fn h1_client() -> Client {
    Client::builder().http1_only().retry(RetryPolicy::never()).build().unwrap()
}

fn payload() -> Vec<u8> {
    (0..BODY).map(|i| (i % 251) as u8).collect()
}

/// POSTs [`payload`] with `Expect: 100-continue`; the answer must have
/// `status`.
async fn post_expecting(client: &Client, url: &str, status: u16) -> baton::Response {
    let resp = client.post(url).header("expect", "100-continue").body(payload()).send().await.unwrap();
    assert_eq!(resp.status(), status);
    resp
}

/// The body's first byte came `waited` after the head: at least `from`,
/// and within 20 ms of it (the paused clock moves 1 ms per idle moment).
fn assert_waited(waited: Duration, from: Duration) {
    assert!(waited >= from && waited < from + Duration::from_millis(20), "{waited:?}, not {from:?}");
}

/// The windows a script server's connection opens.
#[derive(Clone, Copy)]
enum Windows {
    /// The protocol's defaults (64 KiB): an upload stalls on them.
    Default,
    /// Large enough for [`BODY`] at once: SETTINGS_INITIAL_WINDOW_SIZE and
    /// the connection window 1 MiB.
    Roomy,
}

/// The server's next connection, handshaken with `windows`.
async fn h2_accept(server: &ScriptServer, windows: Windows) -> ScriptConn {
    let mut conn = server.accept().await.unwrap();
    match windows {
        Windows::Default => {
            conn.handshake(Settings::default()).await.unwrap();
        }
        Windows::Roomy => {
            let roomy = Settings { initial_window_size: Some(1 << 20), ..Settings::default() };
            conn.handshake(roomy).await.unwrap();
            conn.send(frames::window_update(0, 1 << 20)).await.unwrap();
        }
    }
    conn
}

/// The HTTP/2 prologue: a script server whose first connection, with
/// `windows`, runs `script` in a task. Returns the URL to post to and the
/// task.
async fn h2<T, F>(
    windows: Windows,
    script: impl FnOnce(ScriptConn) -> F + Send + 'static,
) -> (String, JoinHandle<T>)
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/upload", server.url());
    (url, tokio::spawn(async move { script(h2_accept(&server, windows).await).await }))
}

/// [`h2`] for a test on tokio's paused clock, with the clock ticking (see
/// [`tick_slowly`]) and [`Windows::Roomy`]; the ticker comes first.
async fn paused_h2<T, F>(
    script: impl FnOnce(ScriptConn) -> F + Send + 'static,
) -> (common::Ticker, String, JoinHandle<T>)
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let (tick, server, url) = paused_server().await;
    (tick, url, tokio::spawn(async move { script(h2_accept(&server, Windows::Roomy).await).await }))
}

/// A script server for a test on tokio's paused clock, with the clock
/// ticking (see [`tick_slowly`]), and the URL to post to.
async fn paused_server() -> (common::Ticker, ScriptServer, String) {
    let tick = tick_slowly();
    let server = ScriptServer::bind().await.unwrap().with_timeout(SERVER_PATIENCE);
    let url = format!("{}/upload", server.url());
    (tick, server, url)
}

/// Reads stream 1's DATA until END_STREAM; returns the bytes and when the
/// first of them came.
async fn h2_body(conn: &mut ScriptConn, stream: u32) -> (Vec<u8>, Option<Instant>) {
    let (mut body, mut first) = (Vec::new(), None);
    loop {
        match conn.recv_frame().await.unwrap().expect("client closed") {
            Frame::Data(d) if d.stream_id.value() == stream => {
                if !d.data.is_empty() {
                    first.get_or_insert_with(Instant::now);
                }
                body.extend_from_slice(&d.data);
                if d.end_stream {
                    return (body, first);
                }
            }
            Frame::RstStream(r) => panic!("stream {} reset ({:?}) during the upload", r.stream_id, r.reason),
            _ => {}
        }
    }
}

/// Lets `wait` pass with no DATA from the client (the body must wait for
/// the answer), then answers `stream` with `100 (Continue)`.
async fn continue_after(conn: &mut ScriptConn, stream: u32, wait: Duration) {
    let asked = Instant::now();
    while let Ok(frame) = tokio::time::timeout_at(asked + wait, conn.recv_frame()).await {
        assert!(!matches!(frame.unwrap(), Some(Frame::Data(_))), "body sent before 100 (Continue)");
    }
    conn.send_headers(stream, &[(":status", "100")], false).await.unwrap();
}

/// HTTP/2: the server answers `100 (Continue)` after 300 ms; the body
/// follows it, not before.
#[tokio::test(start_paused = true)]
async fn h2_body_waits_for_100_continue() {
    let (_tick, url, script) = paused_h2(move |mut conn| async move {
        let head = conn.recv_request_head().await.unwrap();
        assert!(head.body.is_empty(), "body sent with the head");
        let asked = Instant::now();
        continue_after(&mut conn, 1, Duration::from_millis(300)).await;
        let (body, first) = h2_body(&mut conn, 1).await;
        conn.respond(1, 201, b"").await.unwrap();
        (body, first.unwrap() - asked)
    })
    .await;
    post_expecting(&h2_client(), &url, 201).await;
    let (body, waited) = script.await.unwrap();
    assert_eq!(body, payload());
    assert_waited(waited, Duration::from_millis(300));
}

/// HTTP/2: no answer at all; the body goes after one second.
#[tokio::test(start_paused = true)]
async fn h2_body_goes_after_a_second_without_an_answer() {
    let (_tick, url, script) = paused_h2(move |mut conn| async move {
        conn.recv_request_head().await.unwrap();
        let asked = Instant::now();
        let (body, first) = h2_body(&mut conn, 1).await;
        conn.respond(1, 201, b"").await.unwrap();
        (body, first.unwrap() - asked)
    })
    .await;
    post_expecting(&h2_client(), &url, 201).await;
    let (body, waited) = script.await.unwrap();
    assert_eq!(body, payload());
    assert_waited(waited, Duration::from_secs(1));
}

/// HTTP/2: once a held body waited the whole second on a connection, the
/// server is taken to ignore the expectation: the next request's body on
/// that connection goes with its head.
#[tokio::test(start_paused = true)]
async fn h2_a_server_that_ignored_the_expectation_is_not_waited_for_again() {
    let (_tick, url, script) = paused_h2(move |mut conn| async move {
        let mut waits = Vec::new();
        for stream in [1, 3] {
            recv_headers_of(&mut conn, stream).await;
            let head = Instant::now();
            let first = loop {
                match conn.recv_frame().await.unwrap().expect("client closed") {
                    Frame::Data(d) if d.stream_id.value() == stream => break Instant::now(),
                    _ => {}
                }
            };
            waits.push(first - head);
            // The rest of the body is read by the time the next HEADERS come.
            conn.respond(stream, 201, b"").await.unwrap();
        }
        waits
    })
    .await;
    let client = h2_client();
    for _ in 0..2 {
        post_expecting(&client, &url, 201).await;
    }
    let waits = script.await.unwrap();
    assert!(waits[0] >= Duration::from_secs(1), "{waits:?}");
    assert!(waits[1] < Duration::from_millis(20), "waited again: {waits:?}");
}

/// HTTP/2: what one connection learned (the server ignores the
/// expectation) holds for the origin's next connection, whose first body
/// goes with its head; a `100 (Continue)` seen there shows the server does
/// answer, and the request after it waits again.
#[tokio::test(start_paused = true)]
async fn h2_an_ignored_expectation_is_remembered_for_the_origin_until_a_100_comes() {
    let (_tick, server, url) = paused_server().await;
    let script = tokio::spawn(async move {
        // Connection 1: no answer; the body goes after a second. Then
        // GOAWAY: the next request needs a new connection.
        let mut first = h2_accept(&server, Windows::Roomy).await;
        first.recv_request_head().await.unwrap();
        let asked = Instant::now();
        let (_, data) = h2_body(&mut first, 1).await;
        let waits = vec![data.unwrap() - asked];
        first.respond(1, 201, b"").await.unwrap();
        first.send(frames::go_away(1, baton_lab::script::Reason::NO_ERROR)).await.unwrap();
        // Connection 2, stream 1: the body comes at once (no 100 is sent
        // before it); then a late 100.
        let mut second = h2_accept(&server, Windows::Roomy).await;
        second.recv_request_head().await.unwrap();
        let asked = Instant::now();
        let came = tokio::time::timeout(Duration::from_millis(500), async {
            while !matches!(second.recv_frame().await.unwrap(), Some(Frame::Data(_))) {}
            Instant::now()
        })
        .await;
        let mut waits = waits;
        waits.push(came.map_or(Duration::from_millis(500), |at| at - asked));
        second.send_headers(1, &[(":status", "100")], false).await.unwrap();
        h2_body(&mut second, 1).await;
        second.respond(1, 201, b"").await.unwrap();
        // Stream 3: the body waits for the 100, sent after 300 ms.
        recv_headers_of(&mut second, 3).await;
        let asked = Instant::now();
        continue_after(&mut second, 3, Duration::from_millis(300)).await;
        let (_, data) = h2_body(&mut second, 3).await;
        waits.push(data.unwrap() - asked);
        second.respond(3, 201, b"").await.unwrap();
        (waits, first, second)
    });
    let client = h2_client();
    let mut connections = Vec::new();
    for _ in 0..3 {
        connections.push(post_expecting(&client, &url, 201).await.attempts()[0].connection_id);
    }
    let (waits, _first, _second) = script.await.unwrap();
    assert!(connections[0] != connections[1] && connections[1] == connections[2], "{connections:?}");
    assert_waited(waits[0], Duration::from_secs(1));
    assert!(waits[1] < Duration::from_millis(20), "the new connection waited again: {waits:?}");
    assert_waited(waits[2], Duration::from_millis(300));
}

/// HTTP/2: a final 401 instead of `100 (Continue)`: the caller gets the
/// 401 whole, the body is never sent, and the stream is reset (CANCEL) to
/// end our side, also after the one-second wait has passed.
#[tokio::test(start_paused = true)]
async fn h2_refusing_status_means_the_body_is_never_sent() {
    let (_tick, url, script) = paused_h2(move |mut conn| async move {
        conn.recv_request_head().await.unwrap();
        conn.respond(1, 401, b"who are you").await.unwrap();
        let mut data = 0;
        let reset = loop {
            match conn.recv_frame().await.unwrap().expect("client closed") {
                Frame::Data(d) => data += d.data.len(),
                Frame::RstStream(r) if r.stream_id.value() == 1 => break r.reason,
                _ => {}
            }
        };
        // Past the one-second wait: nothing more comes for stream 1.
        conn.respond(3, 200, b"next").await.ok();
        (data, reset)
    })
    .await;
    let client = h2_client();
    let resp = post_expecting(&client, &url, 401).await;
    assert_eq!(resp.text().await.unwrap(), "who are you");
    let (data, reset) = script.await.unwrap();
    assert_eq!(data, 0, "no body byte was sent");
    assert_eq!(reset, baton_lab::script::Reason::CANCEL);
}

/// HTTP/2: the server sends its whole response as soon as the request head
/// arrives, then reads the streamed upload: the upload goes on to its end
/// (RFC 9113 §8.1: only the server's RST_STREAM(NO_ERROR) would stop it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_streamed_upload_goes_on_after_a_complete_early_response() {
    let (url, script) = h2(Windows::Default, move |mut conn| async move {
        // Default windows (64 KiB): the upload cannot be over before the
        // response is complete and the windows open.
        conn.recv_request_head().await.unwrap();
        conn.respond(1, 200, b"early").await.unwrap();
        conn.send(frames::window_update(0, 1 << 20)).await.unwrap();
        conn.send(frames::window_update(1, 1 << 20)).await.unwrap();
        h2_body(&mut conn, 1).await.0.len()
    })
    .await;
    let client = h2_client();
    let resp = client.post(&url).body(one_shot(16 << 10, 40)).send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "early");
    let received =
        tokio::time::timeout(Duration::from_secs(10), script).await.expect("upload stalled").unwrap();
    assert_eq!(received, 40 * (16 << 10));
}

/// A body of 16 KiB chunks without end; the receiver hears when the
/// client drops it (it stopped sending).
fn endless() -> (baton::Body, tokio::sync::oneshot::Receiver<()>) {
    struct Endless(Bytes, Option<tokio::sync::oneshot::Sender<()>>);
    impl http_body::Body for Endless {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(self.0.clone()))))
        }
    }
    impl Drop for Endless {
        fn drop(&mut self) {
            if let Some(tx) = self.1.take() {
                let _ = tx.send(());
            }
        }
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    (baton::Body::wrap(Endless(Bytes::from(vec![7u8; 16 << 10]), Some(tx))), rx)
}

/// Waits (at most 10 s, a bound, not a measurement) for the client to
/// drop an [`endless`] body.
async fn dropped(rx: tokio::sync::oneshot::Receiver<()>) {
    tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("the client kept the body after its stream was reset")
        .unwrap();
}

/// HTTP/2: the server answers in full, then resets the stream
/// (RST_STREAM(NO_ERROR), RFC 9113 §8.1: "stop sending the request"). The
/// upload, stalled on the stream's window, stops and the caller's body is
/// dropped; the connection carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_upload_stops_when_the_server_resets_after_its_response() {
    let (url, script) = h2(Windows::Default, move |mut conn| async move {
        // Default windows (64 KiB): the endless upload stalls on them.
        conn.recv_request_head().await.unwrap();
        conn.respond(1, 200, b"enough").await.unwrap();
        // The PING's ACK shows the client read the whole response before
        // the reset comes, in a later read.
        conn.send(frames::ping(*b"response")).await.unwrap();
        while !matches!(conn.recv_frame().await.unwrap(), Some(Frame::Ping(p)) if p.ack) {}
        conn.send(frames::rst(1, baton_lab::script::Reason::NO_ERROR)).await.unwrap();
        recv_headers_of(&mut conn, 3).await;
        conn.respond(3, 200, b"next").await.unwrap();
        conn
    })
    .await;
    let client = h2_client();
    let (body, gone) = endless();
    let resp = client.post(&url).body(body).send().await.unwrap();
    let first = resp.attempts()[0].connection_id;
    assert_eq!(resp.text().await.unwrap(), "enough");
    dropped(gone).await;
    let next = client.get(&url).send().await.unwrap();
    assert_eq!(next.attempts()[0].connection_id, first, "the connection was replaced");
    assert_eq!(next.text().await.unwrap(), "next");
    drop(script.await.unwrap());
}

/// HTTP/2: the server resets the stream (CANCEL) before answering, while
/// the upload waits for window: the request fails, and the caller's body
/// is dropped then, not when the connection ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_upload_stops_when_the_server_resets_before_its_response() {
    let (url, script) = h2(Windows::Default, move |mut conn| async move {
        conn.recv_request_head().await.unwrap();
        conn.send(frames::rst(1, baton_lab::script::Reason::CANCEL)).await.unwrap();
        conn
    })
    .await;
    let client = h2_client();
    let (body, gone) = endless();
    let err = client.post(&url).body(body).send().await.unwrap_err();
    assert!(err.to_string().contains("CANCEL"), "{err}");
    dropped(gone).await;
    drop(script.await.unwrap());
}

/// HTTP/2, `Expect` with a streamed body and a 2xx final answer: the body
/// follows the 2xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_streamed_body_follows_a_final_2xx() {
    let (url, script) = h2(Windows::Roomy, move |mut conn| async move {
        conn.recv_request_head().await.unwrap();
        conn.send_headers(1, &[(":status", "200")], false).await.unwrap();
        let len = h2_body(&mut conn, 1).await.0.len();
        conn.send(frames::data(1, b"done", true)).await.unwrap();
        len
    })
    .await;
    let resp = h2_client()
        .post(&url)
        .header("expect", "100-continue")
        .body(one_shot(16 << 10, 8))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "done");
    assert_eq!(script.await.unwrap(), 8 * (16 << 10));
}

/// Reads an HTTP/1.1 request head (through the blank line); returns it,
/// lowercased, and what came after it.
async fn h1_head(sock: &mut TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed before its head was complete");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..at]).to_ascii_lowercase();
            return (head, buf[at + 4..].to_vec());
        }
    }
}

/// [`h1_head`] of a request that must carry `Expect: 100-continue`;
/// returns what came after the head.
async fn h1_expecting_head(sock: &mut TcpStream) -> Vec<u8> {
    let (head, rest) = h1_head(sock).await;
    assert!(head.contains("expect: 100-continue"), "{head}");
    rest
}

/// Reads `len` body bytes after `already`; returns when the first came.
async fn h1_body(sock: &mut TcpStream, mut already: Vec<u8>, len: usize) -> (Vec<u8>, Instant) {
    let mut first = (!already.is_empty()).then(Instant::now);
    let mut chunk = [0u8; 65536];
    while already.len() < len {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed inside the body");
        first.get_or_insert_with(Instant::now);
        already.extend_from_slice(&chunk[..n]);
    }
    (already, first.unwrap_or_else(Instant::now))
}

/// A response with no body, for uploads the server takes.
const CREATED: &[u8] = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n";

async fn h1_server() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/upload", listener.local_addr().unwrap());
    (listener, url)
}

/// The HTTP/1.1 prologue, on tokio's paused clock with the clock ticking
/// (see [`tick_slowly`]): a listener whose first connection's request head
/// must carry `Expect: 100-continue` ([`h1_expecting_head`]); then `script`
/// runs in a task with the socket and what came after the head. Returns
/// the ticker, the URL to post to, and the task.
async fn paused_h1<T, F>(
    script: impl FnOnce(TcpStream, Vec<u8>) -> F + Send + 'static,
) -> (common::Ticker, String, JoinHandle<T>)
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let tick = tick_slowly();
    let (listener, url) = h1_server().await;
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let early = h1_expecting_head(&mut sock).await;
        script(sock, early).await
    });
    (tick, url, task)
}

/// HTTP/1.1: `100 Continue` after 300 ms; the body follows it.
#[tokio::test(start_paused = true)]
async fn h1_body_waits_for_100_continue() {
    let (_tick, url, server) = paused_h1(move |mut sock, early| async move {
        assert!(early.is_empty(), "body sent with the head");
        let asked = Instant::now();
        // 300 ms in which no byte may come.
        let mut probe = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_millis(300), sock.read(&mut probe)).await;
        assert!(read.is_err(), "body sent before 100 Continue: {read:?}");
        sock.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.unwrap();
        let (body, first) = h1_body(&mut sock, early, BODY).await;
        sock.write_all(CREATED).await.unwrap();
        (body, first - asked)
    })
    .await;
    post_expecting(&h1_client(), &url, 201).await;
    let (body, waited) = server.await.unwrap();
    assert_eq!(body, payload());
    assert_waited(waited, Duration::from_millis(300));
}

/// HTTP/1.1: no answer; the body goes after one second.
#[tokio::test(start_paused = true)]
async fn h1_body_goes_after_a_second_without_an_answer() {
    let (_tick, url, server) = paused_h1(move |mut sock, early| async move {
        let asked = Instant::now();
        let (body, first) = h1_body(&mut sock, early, BODY).await;
        sock.write_all(CREATED).await.unwrap();
        (body, first - asked)
    })
    .await;
    post_expecting(&h1_client(), &url, 201).await;
    let (body, waited) = server.await.unwrap();
    assert_eq!(body, payload());
    assert_waited(waited, Duration::from_secs(1));
}

/// HTTP/1.1: a final 401 instead: the caller gets it, no body byte is
/// sent, and the connection is closed, not reused (the server cannot tell
/// where a next request would start).
#[tokio::test(start_paused = true)]
async fn h1_refusing_status_means_the_body_is_never_sent() {
    let (_tick, url, server) = paused_h1(move |mut sock, mut rest| async move {
        sock.write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 11\r\n\r\nwho are you").await.unwrap();
        // Everything the client sends until it closes: past the one-second
        // wait, so a late release would show here.
        let mut chunk = [0u8; 4096];
        loop {
            match sock.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => rest.extend_from_slice(&chunk[..n]),
            }
        }
        rest.len()
    })
    .await;
    let client = h1_client();
    let resp = post_expecting(&client, &url, 401).await;
    assert_eq!(resp.text().await.unwrap(), "who are you");
    drop(client);
    assert_eq!(server.await.unwrap(), 0, "no body byte was sent");
}

/// HTTP/1.1: a 417 (Expectation Failed) to `Expect: 100-continue`: the
/// request is repeated without the expectation, body and all (RFC 9110
/// §10.1.1), and the journal says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h1_417_repeats_the_request_without_the_expectation() {
    let (listener, url) = h1_server().await;
    let server = tokio::spawn(async move {
        let (mut first, _) = listener.accept().await.unwrap();
        h1_expecting_head(&mut first).await;
        first.write_all(b"HTTP/1.1 417 Expectation Failed\r\ncontent-length: 0\r\n\r\n").await.unwrap();
        let (mut second, _) = listener.accept().await.unwrap();
        let (head, rest) = h1_head(&mut second).await;
        let (body, _) = h1_body(&mut second, rest, BODY).await;
        second.write_all(CREATED).await.unwrap();
        (head, body)
    });
    // The default retry policy: a repeat is an attempt like any other.
    let client = Client::builder().http1_only().build().unwrap();
    let resp = post_expecting(&client, &url, 201).await;
    let attempts = resp.attempts().to_vec();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[0].retried, Some(baton::RetryReason::ExpectationFailed));
    let (head, body) = server.await.unwrap();
    assert!(!head.contains("expect"), "repeated with the expectation: {head}");
    assert_eq!(body, payload());
}

/// HTTP/2: the same on one connection; the 417's stream is reset and the
/// repeat goes out on the next stream without `expect`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_417_repeats_the_request_without_the_expectation() {
    let (url, script) = h2(Windows::Roomy, move |mut conn| async move {
        conn.recv_request_head().await.unwrap();
        conn.respond(1, 417, b"").await.unwrap();
        loop {
            match conn.recv_frame().await.unwrap().expect("client closed") {
                Frame::RstStream(r) if r.stream_id.value() == 1 => break,
                Frame::Headers(h) => panic!("stream {} opened before stream 1 was reset", h.stream_id),
                _ => {}
            }
        }
        let second = loop {
            let request = conn.recv_request().await.unwrap();
            if request.stream_id.value() == 3 {
                break request;
            }
        };
        conn.respond(3, 201, b"").await.unwrap();
        second
    })
    .await;
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let resp = post_expecting(&client, &url, 201).await;
    assert_eq!(resp.attempts()[0].retried, Some(baton::RetryReason::ExpectationFailed));
    let second = script.await.unwrap();
    assert!(second.field("expect").is_none(), "{:?}", second.fields);
    assert_eq!(second.body, Bytes::from(payload()));
}

/// A body fed chunk by chunk from a channel, as an application streams one.
fn fed() -> (baton::Body, tokio::sync::mpsc::UnboundedSender<Bytes>) {
    struct Fed(tokio::sync::mpsc::UnboundedReceiver<Bytes>);
    impl http_body::Body for Fed {
        type Data = Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            self.0.poll_recv(cx).map(|chunk| chunk.map(|c| Ok(http_body::Frame::data(c))))
        }
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (baton::Body::wrap(Fed(rx)), tx)
}

/// HTTP/2: a stream refused while its upload waits on the application for
/// the next chunk is retried at once. The wait for that chunk held the
/// body's replay buffer, which the retry must read: it now stops with the
/// failed stream. Here the application sends its next chunk only once the
/// retry reached the server, so before that fix the two waited on each
/// other for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2_a_refused_upload_is_retried_while_its_body_waits_on_the_caller() {
    let (body, feed) = fed();
    feed.send(Bytes::from_static(b"first ")).unwrap();
    let (retried_tx, retried) = tokio::sync::oneshot::channel();
    let (url, script) = h2(Windows::Roomy, move |mut conn| async move {
        conn.recv_request_head().await.unwrap();
        // The first chunk came: the client now waits for the second.
        while !matches!(conn.recv_frame().await.unwrap(), Some(Frame::Data(d)) if !d.data.is_empty()) {}
        conn.send(frames::rst(1, baton_lab::script::Reason::REFUSED_STREAM)).await.unwrap();
        // The retry: on this connection, which is still open (RFC 9113
        // §8.7 allows it).
        let head = conn.recv_request_head().await.unwrap();
        assert_eq!(head.stream_id.value(), 3);
        retried_tx.send(()).unwrap();
        let request = conn.recv_request().await.unwrap();
        conn.respond(3, 200, &request.body).await.unwrap();
        conn
    })
    .await;
    let feeder = tokio::spawn(async move {
        retried.await.unwrap();
        feed.send(Bytes::from_static(b"second")).unwrap();
    });
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(10), client.post(&url).body(body).send())
        .await
        .expect("the retry waited on the body the failed attempt held")
        .unwrap();
    assert_eq!(resp.attempts().len(), 2);
    assert_eq!(resp.text().await.unwrap(), "first second", "the body was sent again whole");
    feeder.await.unwrap();
    drop(script.await.unwrap());
}
