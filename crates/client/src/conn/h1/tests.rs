//! The connection task over an in-memory transport: what it does while
//! idle, and what a request handed to it after its end gets.

use http::{HeaderMap, Method, Version};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;

use super::*;
use crate::body::Body;
use crate::journal::Attempt;

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

fn post(respond: oneshot::Sender<Outcome>) -> AttemptRequest {
    AttemptRequest {
        method: Method::POST,
        uri: "http://example.com/".parse().unwrap(),
        headers: HeaderMap::new(),
        body: Body::from("once").reader(),
        attempt: Attempt::new(7, true, Version::HTTP_11),
        respond,
    }
}

/// The server closes an idle connection; a POST handed to it afterwards
/// (the pool looked just before the close) never goes out, and says so:
/// not sent, so it may be retried whatever its method (DESIGN.md §3).
#[tokio::test]
async fn a_request_handed_over_after_the_close_fails_as_not_sent() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let conn = H1Conn::spawn(7, Box::new(client_io));
    assert!(conn.is_open());
    drop(server_io);
    until_ended(&conn).await;
    let (respond, outcome) = oneshot::channel();
    conn.send(post(respond), Box::new(|_| panic!("a closed connection went home")));
    let Ok(Outcome::Failed(f)) = outcome.await else { panic!("expected a failure") };
    assert_eq!(f.processing, Processing::NotSent);
    assert!(matches!(f.cause, FailureCause::Closed(_)), "{:?}", f.cause);
    assert_eq!((f.attempt.connection_id, f.attempt.version), (7, Version::HTTP_11));
    assert!(f.first_on_connection, "the connection had carried no request before");
}

/// Bytes nobody asked for on an idle connection (a server's 408 before it
/// closes) end it: whatever follows them cannot be a response to the next
/// request (RFC 9112 §9.3: responses come in request order).
#[tokio::test]
async fn unsolicited_bytes_end_an_idle_connection() {
    let (client_io, mut server_io) = tokio::io::duplex(1024);
    let conn = H1Conn::spawn(3, Box::new(client_io));
    server_io.write_all(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n").await.unwrap();
    until_ended(&conn).await;
    drop(server_io);
}
