//! tonic's clients over baton against a tonic server in the test process.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::echo::{self, BIDI, Msg, STREAM, SUM, Server, UNARY, codec};
use crate::proxy;

fn baton() -> baton::Client {
    baton::Client::builder().http2_prior_knowledge().build().unwrap()
}

/// The baton error under a status tonic made from a transport error.
fn baton_error(status: &Status) -> &baton::Error {
    let source = std::error::Error::source(status).expect("a transport error has a source");
    source.downcast_ref::<baton::Error>().expect("the transport is baton")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unary_server_streaming_client_streaming_and_bidi_calls() {
    let server = Server::start().await;
    let client = baton();

    // Unary, through a generated client (tonic-health's).
    let mut health = HealthClient::with_origin(client.clone(), server.origin().parse().unwrap());
    let resp = health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(
        resp.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let mut grpc = echo::client(client.clone(), &server.origin());
    grpc.ready().await.unwrap();
    let resp = grpc.unary(Request::new(Msg::n(7)), UNARY, codec()).await.unwrap();
    assert_eq!(resp.get_ref().n, 7);
    // The journal comes back in the response's extensions.
    let journal = resp.extensions().get::<baton::Journal>().expect("baton's journal");
    assert_eq!(journal.attempts().len(), 1);

    // Server-streaming: 20 messages, then OK.
    grpc.ready().await.unwrap();
    let resp = grpc.server_streaming(Request::new(Msg { n: 20, ..Msg::default() }), STREAM, codec()).await;
    let mut stream = resp.unwrap().into_inner();
    let mut got = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        got.push(m.n);
    }
    assert_eq!(got, (0..20).collect::<Vec<_>>());

    // Client-streaming: 100 messages of 1 KiB, counted and summed.
    grpc.ready().await.unwrap();
    let input = tokio_stream::iter((1..=100).map(|n| Msg { n, data: vec![7; 1024], ..Msg::default() }));
    let resp = grpc.client_streaming(Request::new(input), SUM, codec()).await.unwrap();
    assert_eq!((resp.get_ref().n, resp.get_ref().delay_ms), (100, 5050));

    // Bidirectional, in lock step: each answer comes before the next send,
    // so neither side's stream is buffered whole.
    grpc.ready().await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(Msg::n(1)).await.unwrap();
    let resp = grpc
        .streaming(Request::new(tokio_stream::wrappers::ReceiverStream::new(rx)), BIDI, codec())
        .await
        .unwrap();
    let mut answers = resp.into_inner();
    for n in 1..=50u32 {
        let m = answers.message().await.unwrap().expect("an answer per message");
        assert_eq!(m.n, n * 2);
        if n < 50 {
            tx.send(Msg::n(n + 1)).await.unwrap();
        }
    }
    drop(tx);
    assert!(answers.message().await.unwrap().is_none(), "the call ends after the request stream");
    // Every call above shared one connection.
    assert_eq!(client.stats().connections_opened, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_status_and_message_in_trailers_reach_tonic() {
    let server = Server::start().await;
    let client = baton();
    // A trailers-only answer (the status in the response head).
    let mut health = HealthClient::with_origin(client.clone(), server.origin().parse().unwrap());
    let err = health.check(HealthCheckRequest { service: "nope".into() }).await.unwrap_err();
    assert_eq!(err.code(), Code::NotFound, "{err:?}");
    // Messages, then the status in trailers.
    let mut grpc = echo::client(client.clone(), &server.origin());
    grpc.ready().await.unwrap();
    let resp =
        grpc.server_streaming(Request::new(Msg { n: 3, fail: true, ..Msg::default() }), STREAM, codec());
    let mut stream = resp.await.unwrap().into_inner();
    for i in 0..3 {
        assert_eq!(stream.message().await.unwrap().map(|m| m.n), Some(i));
    }
    let err = stream.message().await.unwrap_err();
    assert_eq!(err.code(), Code::Aborted);
    assert_eq!(err.message(), "stopped after 3");
    // An unknown method: UNIMPLEMENTED.
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/echo.Echo/Missing");
    let err = grpc.unary(Request::new(Msg::n(1)), path, codec()).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
}

/// `grpc-timeout` is the call's deadline in baton too. tonic's server
/// bounds by it only the handler's answer (the response head), not a
/// stream that stalls after it: here a server stream sends its head and
/// one message at once, then nothing for 20 s. baton ends the call at the
/// deadline; without it the call would wait the 20 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_timeout_bounds_the_call() {
    let server = Server::start().await;
    let client = baton();
    let mut grpc = echo::client(client.clone(), &server.origin());
    grpc.ready().await.unwrap();
    let mut req = Request::new(Msg { n: 0, delay_ms: 20_000, ..Msg::default() });
    req.set_timeout(Duration::from_millis(300));
    let mut stream = grpc.server_streaming(req, STREAM, codec()).await.unwrap().into_inner();
    assert!(stream.message().await.unwrap().is_some(), "the first message comes at once");
    let err = tokio::time::timeout(Duration::from_secs(10), stream.message())
        .await
        .expect("bounded by grpc-timeout")
        .unwrap_err();
    assert!(baton_error(&err).is_timeout(), "{err:?}");
    // A unary call past its deadline: tonic's server answers with its own
    // status, or baton's deadline comes first; either way it ends.
    grpc.ready().await.unwrap();
    let mut req = Request::new(Msg { n: 1, delay_ms: 20_000, ..Msg::default() });
    req.set_timeout(Duration::from_millis(300));
    let call = grpc.unary(req, UNARY, codec());
    let err = tokio::time::timeout(Duration::from_secs(10), call).await.expect("bounded").unwrap_err();
    let baton_timeout = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<baton::Error>())
        .is_some_and(baton::Error::is_timeout);
    assert!(
        err.code() == Code::Cancelled || err.code() == Code::DeadlineExceeded || baton_timeout,
        "{err:?}"
    );
}

/// Dropping a streaming call resets its stream: the server sees its
/// response abandoned (hyper drops the body on RST_STREAM), and the
/// connection carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_call_resets_its_stream() {
    let server = Server::start().await;
    let client = baton();
    let mut grpc = echo::client(client.clone(), &server.origin());
    grpc.ready().await.unwrap();
    let endless = Request::new(Msg { n: 0, delay_ms: 5, ..Msg::default() });
    let mut stream = grpc.server_streaming(endless, STREAM, codec()).await.unwrap().into_inner();
    for _ in 0..3 {
        stream.message().await.unwrap().unwrap();
    }
    assert_eq!(server.echo.seen.abandoned.load(Ordering::Relaxed), 0);
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while server.echo.seen.abandoned.load(Ordering::Relaxed) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the server never saw the call abandoned");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    grpc.ready().await.unwrap();
    assert_eq!(grpc.unary(Request::new(Msg::n(5)), UNARY, codec()).await.unwrap().get_ref().n, 5);
    assert_eq!(client.stats().connections_opened, 1, "the reset stream left the connection up");
}

/// A gRPC call is a POST: when the connection dies after the request went
/// out (the server got it: verdict MaybeProcessed), it is not sent again,
/// unless the caller marked it `baton::Idempotent`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_is_retried_only_when_marked_idempotent() {
    let server = Server::start().await;
    let slow = || Msg { n: 9, delay_ms: 400, ..Msg::default() };

    let front = proxy::first_connection_dies(server.addr, usize::MAX).await;
    let mut grpc = echo::client(baton(), &format!("http://{front}"));
    grpc.ready().await.unwrap();
    let err = grpc.unary(Request::new(slow()), UNARY, codec()).await.unwrap_err();
    let e = baton_error(&err);
    assert_eq!(e.processing(), Some(baton::Processing::MaybeProcessed), "{e}");
    assert_eq!(e.attempts().len(), 1, "a POST is not retried blind");
    assert_eq!(server.echo.seen.calls.load(Ordering::Relaxed), 1, "the server did get it");

    let front = proxy::first_connection_dies(server.addr, usize::MAX).await;
    let mut grpc = echo::client(baton(), &format!("http://{front}"));
    grpc.ready().await.unwrap();
    let mut req = Request::new(slow());
    req.extensions_mut().insert(baton::Idempotent(true));
    let resp = grpc.unary(req, UNARY, codec()).await.unwrap();
    assert_eq!(resp.get_ref().n, 9);
    let journal = resp.extensions().get::<baton::Journal>().unwrap();
    assert_eq!(journal.attempts().len(), 2);
    assert_eq!(journal.attempts()[0].retried, Some(baton::RetryReason::Idempotent));
    assert_eq!(server.echo.seen.calls.load(Ordering::Relaxed), 3);
}

/// A client stream that has gone out past the replay buffer cannot be sent
/// again: even marked idempotent, the call fails with its verdict and the
/// reason in the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_stream_past_the_replay_buffer_fails_with_its_verdict() {
    let server = Server::start().await;
    let front = proxy::first_connection_dies(server.addr, 16 << 10).await;
    let client = baton::Client::builder()
        .http2_prior_knowledge()
        .retry(baton::RetryPolicy::default().replay_buffer(4 << 10))
        .build()
        .unwrap();
    let mut grpc = echo::client(client, &format!("http://{front}"));
    grpc.ready().await.unwrap();
    // 100 KiB in 512-byte messages, a millisecond apart: the proxy cuts the
    // connection at 16 KiB, past the 4 KiB buffer.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        for n in 0..200u32 {
            if tx.send(Msg { n, data: vec![1; 512], ..Msg::default() }).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut req = Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.extensions_mut().insert(baton::Idempotent(true));
    let err = grpc.client_streaming(req, SUM, codec()).await.unwrap_err();
    let e = baton_error(&err);
    assert_eq!(e.processing(), Some(baton::Processing::MaybeProcessed), "{e}");
    assert!(e.to_string().contains("not replayable"), "{e}");
    assert_eq!(e.attempts().len(), 1);
}
