//! Scenarios that need frames in an exact order, on the lab's script DSL:
//! S1 (GOAWAY crossing a new stream on an idle pooled connection), S3 (a
//! replayable POST body re-sent whole), S4 (a one-shot body beyond the
//! replay buffer is not retried, and says so).

mod common;

use std::time::Duration;

use baton::{Client, Processing, RetryReason};
use baton_lab::script::{Script, ScriptServer, Settings};
use baton_proto::h2::frame::Reason;
use bytes::Bytes;
use common::one_shot;

fn client() -> Client {
    Client::builder().http2_prior_knowledge().timeout(Duration::from_secs(10)).build().unwrap()
}

/// Server settings that let a large body through at once.
fn roomy() -> Settings {
    Settings { initial_window_size: Some(1 << 20), ..Settings::default() }
}

/// S1: the pooled connection served one request; the server's GOAWAY(1)
/// crosses the next request, which is retried on a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s1_go_away_crossing_a_new_stream_is_retried() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/item", server.url());
    let first = Script::new()
        .handshake()
        .expect_request()
        .respond(1, 200, b"one")
        .expect_request_head()
        .go_away(1, Reason::NO_ERROR)
        .close();
    let second = Script::new().handshake().expect_request().respond(1, 200, b"two");
    let scripts = server.spawn_each(vec![first, second]);
    let client = client();
    assert_eq!(client.get(&url).send().await.unwrap().text().await.unwrap(), "one");
    let resp = client.post(&url).body("payload").send().await.unwrap();
    let attempts = resp.attempts().to_vec();
    assert_eq!(resp.text().await.unwrap(), "two");
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    assert!(attempts[0].reused, "the first attempt went to the pooled connection");
    assert_eq!(attempts[0].processing, Some(Processing::NotProcessed));
    assert_eq!(attempts[0].retried, Some(RetryReason::GoAway));
    assert_ne!(attempts[0].connection_id, attempts[1].connection_id);
    let transcripts = scripts.await.unwrap().unwrap();
    assert_eq!(transcripts[1].requests[0].body, Bytes::from_static(b"payload"));
}

/// S3: a POST above last_stream_id with its (replayable) body partly sent is
/// retried, and the body is sent again whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_replayable_body_is_resent_whole() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/upload", server.url());
    let first = Script::new().handshake().expect_request_head().go_away(0, Reason::NO_ERROR).close();
    let second =
        Script::new().handshake_with(roomy()).window_update(0, 1 << 20).expect_request().respond(1, 201, b"");
    let scripts = server.spawn_each(vec![first, second]);
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let resp = client().post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.attempts()[0].retried, Some(RetryReason::GoAway));
    let transcripts = scripts.await.unwrap().unwrap();
    assert_eq!(transcripts[1].requests[0].body, Bytes::from(body), "re-sent whole");
}

/// S4: as S3, but the body is a one-shot stream that went past the replay
/// buffer: the error is NotProcessed and says the body is not replayable;
/// nothing is sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s4_one_shot_body_beyond_the_replay_buffer_is_not_retried() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/upload", server.url());
    let only = Script::new()
        .handshake_with(roomy())
        .window_update(0, 1 << 20)
        .expect_request()
        .go_away(0, Reason::NO_ERROR)
        .close();
    let script = server.spawn(only);
    let err = client().post(&url).body(one_shot(16 << 10, 20)).send().await.unwrap_err();
    assert_eq!(err.processing(), Some(Processing::NotProcessed), "{err}");
    assert!(err.to_string().contains("streaming body is not replayable"), "{err}");
    let g = err.going_away().expect("GOAWAY account");
    assert_eq!(
        (g.last_stream_id, g.request_stream_id),
        (baton::StreamId::new(0), Some(baton::StreamId::new(1)))
    );
    assert!(g.is_safe_to_retry() && g.is_graceful_shutdown() && g.headers_sent);
    assert_eq!(err.attempts().len(), 1);
    let transcript = script.await.unwrap().unwrap();
    assert_eq!(transcript.requests.len(), 1, "sent once");
    assert_eq!(transcript.requests[0].body.len(), 20 * (16 << 10));
}

/// A streaming body within the replay buffer is replayed like a full one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_body_within_the_buffer_is_replayed() {
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/upload", server.url());
    let first = Script::new()
        .handshake_with(roomy())
        .window_update(0, 1 << 20)
        .expect_request()
        .go_away(0, Reason::NO_ERROR)
        .close();
    let second = Script::new()
        .handshake_with(roomy())
        .window_update(0, 1 << 20)
        .expect_request()
        .respond(1, 200, b"ok");
    let scripts = server.spawn_each(vec![first, second]);
    let resp = client().post(&url).body(one_shot(10_000, 10)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let transcripts = scripts.await.unwrap().unwrap();
    assert_eq!(transcripts[0].requests[0].body.len(), 100_000);
    assert_eq!(transcripts[1].requests[0].body.len(), 100_000);
}

/// Dropping the client ends its HTTP/2 connections gracefully: GOAWAY
/// (NO_ERROR), then the close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_client_says_go_away() {
    use baton_lab::script::Matcher;
    let server = ScriptServer::bind().await.unwrap();
    let url = format!("{}/x", server.url());
    let script = Script::new()
        .handshake()
        .expect_request()
        .respond(1, 200, b"bye")
        .expect_frame(Matcher::go_away().reason(Reason::NO_ERROR))
        .expect_eof();
    let task = server.spawn(script);
    let client = client();
    assert_eq!(client.get(&url).send().await.unwrap().text().await.unwrap(), "bye");
    drop(client);
    let transcript = task.await.unwrap().unwrap();
    assert_eq!(transcript.requests.len(), 1);
}
