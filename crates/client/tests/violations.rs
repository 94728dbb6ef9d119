//! What the client does after a server breaks HTTP/2 (issue 16, defects 3
//! and 4): the retry goes to a new connection, never to the one that broke,
//! and the error's headline names the violation even when the retries then
//! fail another way.

use std::time::Duration;

use baton::{Client, Processing, Reason, RetryReason, Violation};
use baton_lab::script::{Matcher, Script, ScriptServer, frames};

fn client() -> Client {
    Client::builder().http2_prior_knowledge().timeout(Duration::from_secs(10)).build().unwrap()
}

/// A malformed response (a request pseudo-header in it, RFC 9113 §8.3) is
/// a stream error: the stream is reset with PROTOCOL_ERROR. The connection
/// that carried it takes no new stream (our GOAWAY), and the idempotent
/// GET's retry goes to a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_malformed_response_goes_to_a_new_connection() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/item", server.url());
    let broken = Script::new()
        .handshake()
        .expect_request()
        .headers(1, &[(":status", "200"), (":path", "/")], true)
        .expect_frame(Matcher::rst_stream().stream(1).reason(Reason::PROTOCOL_ERROR))
        .expect_frame(Matcher::go_away().reason(Reason::NO_ERROR))
        .close();
    let fine = Script::new().handshake().expect_request().respond(1, 200, b"fine");
    let scripts = server.spawn_each(vec![broken, fine]);
    let resp = client().get(&url).send().await.unwrap();
    let attempts = resp.attempts().to_vec();
    assert_eq!(resp.text().await.unwrap(), "fine");
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert_eq!(attempts[0].processing, Some(Processing::MaybeProcessed));
    assert_eq!(attempts[0].retried, Some(RetryReason::Idempotent));
    assert_ne!(attempts[0].connection_id, attempts[1].connection_id, "retried on the connection that broke");
    assert!(!attempts[1].reused);
    let transcripts = scripts.await.unwrap().unwrap();
    assert_eq!(transcripts[0].requests.len(), 1, "a second stream on the broken connection");
}

/// The first attempt's connection dies of a connection error the server
/// caused (a 7-octet PING: FRAME_SIZE_ERROR, RFC 9113 §6.7), and the
/// retries then cannot connect at all. The headline names the
/// FRAME_SIZE_ERROR, not only the refused connects, and the first attempt's
/// journal line says how its connection closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headline_names_the_violation_when_the_retries_cannot_connect() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/item", server.url());
    let broken = Script::new()
        .handshake()
        .expect_request()
        .send_raw(frames::raw(0x6, 0, 0, &[0; 7]))
        .expect_frame(Matcher::go_away().reason(Reason::FRAME_SIZE_ERROR))
        .close();
    // One connection, then the listener goes: every retry is refused.
    let script = server.spawn(broken);
    let err = client().get(&url).send().await.unwrap_err();
    script.await.unwrap().unwrap();
    let msg = err.to_string();
    assert!(err.is_connect(), "{msg}");
    assert!(msg.starts_with("attempt 1: ") && msg.contains("FRAME_SIZE_ERROR"), "{msg}");
    assert!(matches!(err.violation(), Some(Violation::Frame(_))), "{err:?}");
    assert_eq!(err.reason(), Some(Reason::FRAME_SIZE_ERROR));
    let first = &err.attempts()[0];
    assert!(first.error.as_deref().is_some_and(|e| e.contains("FRAME_SIZE_ERROR")), "{first}");
    assert!(err.attempts().len() > 1, "the refused connects were retried: {msg}");
}

/// The server's SETTINGS and a connection error in the same read: the
/// connection ended right after the preface, and the error says so (it
/// used to say "before its HTTP/2 preface"). The server broke HTTP/2, so no
/// new connection is tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_broken_right_after_the_preface_is_named_so() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/item", server.url());
    let mut preface = frames::raw(0x4, 0, 0, &[]).to_vec();
    preface.extend_from_slice(&frames::raw(0x6, 0, 0, &[0; 7]));
    let script = server.spawn(
        Script::new()
            .expect_preface()
            .expect_frame(Matcher::settings())
            .send_raw(preface)
            .expect_frame(Matcher::go_away().reason(Reason::FRAME_SIZE_ERROR))
            .close(),
    );
    let err = client().get(&url).send().await.unwrap_err();
    script.await.unwrap().unwrap();
    let msg = err.to_string();
    assert!(err.is_connect(), "{msg}");
    assert!(msg.contains("right after its HTTP/2 preface") && msg.contains("FRAME_SIZE_ERROR"), "{msg}");
    assert!(matches!(err.violation(), Some(Violation::Frame(_))), "{err:?}");
}
