//! The connection task over an in-memory transport: what it does while
//! idle, and what a request handed to it after its end gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http::{HeaderMap, Method, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

use baton_proto::h1;

use super::{H1Conn, Home, Slot};
use crate::body::Body;
use crate::conn::{AttemptRequest, BodyEvent, Outcome, SEND_STALL};
use crate::failure::Cause;
use crate::journal::{Attempt, Processing};

/// A guard for a connection task, counted by a shutdown nobody waits on.
fn task() -> crate::conn::shutdown::TaskGuard {
    Arc::new(crate::conn::shutdown::Shutdown::default()).start()
}

/// Yields until the connection's task has ended (bounded: the transport
/// is in memory, so a few turns of the runtime are enough).
async fn until_ended(conn: &H1Conn) {
    for _ in 0..100 {
        if !conn.is_open() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the connection's task did not end");
}

fn post(respond: oneshot::Sender<Outcome>) -> Box<AttemptRequest> {
    post_body(respond, Body::from("once"))
}

fn post_body(respond: oneshot::Sender<Outcome>, body: Body) -> Box<AttemptRequest> {
    Box::new(AttemptRequest {
        method: Method::POST,
        uri: "http://example.com/".parse().unwrap(),
        headers: HeaderMap::new(),
        body: body.reader(),
        attempt: Attempt::new(7, true, Version::HTTP_11),
        respond,
    })
}

/// The server closes an idle connection; a POST handed to it afterwards
/// (the pool looked just before the close) never goes out, and says so:
/// not sent, so it may be retried whatever its method (DESIGN.md §3).
#[tokio::test]
async fn a_request_handed_over_after_the_close_fails_as_not_sent() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let conn = H1Conn::spawn(7, Box::new(client_io), None, Duration::from_secs(90), task());
    assert!(conn.is_open());
    drop(server_io);
    until_ended(&conn).await;
    let (respond, outcome) = oneshot::channel();
    conn.send(post(respond), Arc::new(|_| panic!("a closed connection went home")));
    let Ok(Outcome::Failed(f)) = outcome.await else { panic!("expected a failure") };
    assert_eq!(f.processing(), Processing::NotSent);
    assert!(matches!(f.cause, Cause::Exchange(h1::CloseCause::Eof)), "{:?}", f.cause);
    assert_eq!((f.attempt.connection_id, f.attempt.version), (7, Version::HTTP_11));
    assert!(f.first_on_connection, "the connection had carried no request before");
}

/// Bytes nobody asked for on an idle connection (a server's 408 before it
/// closes) end it: whatever follows them cannot be a response to the next
/// request (RFC 9112 §9.3: responses come in request order).
#[tokio::test]
async fn unsolicited_bytes_end_an_idle_connection() {
    let (client_io, mut server_io) = tokio::io::duplex(1024);
    let conn = H1Conn::spawn(3, Box::new(client_io), None, Duration::from_secs(90), task());
    server_io.write_all(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n").await.unwrap();
    until_ended(&conn).await;
    drop(server_io);
}

/// The server answers early (a complete `200`) and stops reading the rest
/// of the request body, without closing. The caller has its response; the
/// upload gives up after [`SEND_STALL`](crate::conn::SEND_STALL) without
/// progress, and the connection ends and gives its place back, where it
/// used to wait on that write for good.
#[tokio::test(start_paused = true)]
async fn an_upload_the_server_stopped_reading_ends_after_the_stall_limit() {
    let (client_io, mut server_io) = tokio::io::duplex(16 << 10);
    let mut conn = H1Conn::spawn(5, Box::new(client_io), None, Duration::from_secs(90), task());
    let freed = Arc::new(AtomicBool::new(false));
    let flag = freed.clone();
    conn.hold(Slot::new(move || flag.store(true, Ordering::Release)));
    let (respond, outcome) = oneshot::channel();
    conn.send(post_body(respond, Body::from(vec![0u8; 1 << 20])), Arc::new(|_| panic!("went home")));
    let _ = server_io.read(&mut [0u8; 1024]).await.unwrap();
    server_io.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.unwrap();
    let Ok(Outcome::Response(mut parts)) = outcome.await else { panic!("expected the early response") };
    assert!(matches!(parts.body.recv().await, Some(BodyEvent::Data(d)) if d == "ok"));
    assert!(matches!(parts.body.recv().await, Some(BodyEvent::End)));
    let answered = tokio::time::Instant::now();
    while !freed.load(Ordering::Acquire) {
        assert!(answered.elapsed() < SEND_STALL * 2, "the stalled upload still holds its connection");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered.elapsed() >= SEND_STALL - Duration::from_secs(1), "{:?}", answered.elapsed());
    drop(server_io);
}

fn get(respond: oneshot::Sender<Outcome>) -> Box<AttemptRequest> {
    Box::new(AttemptRequest { method: Method::GET, ..*post_body(respond, Body::empty()) })
}

/// One timer serves every idle spell (`task.rs`): a connection used again
/// before the first spell's expiry is not closed at it, and still expires
/// `idle_timeout` after its last use.
#[tokio::test(start_paused = true)]
async fn the_idle_expiry_follows_the_last_use() {
    let (client_io, mut server_io) = tokio::io::duplex(16 << 10);
    let idle = Duration::from_secs(10);
    let mut conn = H1Conn::spawn(3, Box::new(client_io), None, idle, task());
    let mut buf = [0u8; 1024];
    for _ in 0..2 {
        let (respond, outcome) = oneshot::channel();
        let (home_tx, home_rx) = oneshot::channel();
        let home_tx = std::sync::Mutex::new(Some(home_tx));
        let home: Home = Arc::new(move |c| {
            if let Some(tx) = home_tx.lock().unwrap().take() {
                drop(tx.send(c));
            }
        });
        conn.send(get(respond), home);
        let _ = server_io.read(&mut buf).await.unwrap();
        server_io.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.unwrap();
        let Ok(Outcome::Response(mut parts)) = outcome.await else { panic!("expected a response") };
        assert!(matches!(parts.body.recv().await, Some(BodyEvent::Data(d)) if d == "ok"));
        assert!(matches!(parts.body.recv().await, Some(BodyEvent::End)));
        conn = home_rx.await.expect("the connection came home");
        // Idle for 6 s: within the limit, and the second use comes after
        // the first spell's timer was set.
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert!(conn.is_open());
    }
    // 12 s after the first use, 6 s after the second: still open.
    assert!(conn.is_open(), "closed at the first idle spell's expiry");
    tokio::time::sleep(Duration::from_secs(5)).await;
    until_ended(&conn).await;
    drop(server_io);
}
