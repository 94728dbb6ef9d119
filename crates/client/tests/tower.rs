//! The client as a `tower::Service` returning `http::Response<baton::Incoming>`:
//! tower-http's layers (FollowRedirect, Decompression, Trace, Timeout) wrap
//! it unchanged, against the lab and nginx; request bodies of known length
//! go with `Content-Length` and, in memory, are replayable past the replay
//! buffer; request extensions reach the response, beside the journal.

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use baton::{Client, Incoming, Journal, RetryPolicy, RetryReason};
use baton_lab::nginx::{Listener, NginxOptions, Protocol};
use baton_lab::{Lab, LabOptions, Scenario};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full};
use tower::{Service, ServiceBuilder, ServiceExt};

/// A client that leaves redirects and compression to the layers around it.
fn bare() -> Client {
    Client::builder()
        .redirect(baton::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .no_zstd()
        .no_deflate()
        .build()
        .unwrap()
}

fn get(url: &str) -> Request<baton::Body> {
    Request::get(url).body(baton::Body::empty()).unwrap()
}

/// `request` through `svc` once it is ready.
async fn send<S>(svc: &mut S, request: Request<baton::Body>) -> S::Response
where
    S: Service<Request<baton::Body>>,
    S::Error: std::fmt::Debug,
{
    ServiceExt::<Request<baton::Body>>::ready(svc).await.unwrap().call(request).await.unwrap()
}

async fn text_of<B>(resp: Response<B>) -> String
where
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// tower-http's FollowRedirect follows the lab's redirects through the
/// client, a 307 POST with its in-memory body (replayed through
/// `Body::try_clone`) included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_redirect_wraps_the_client() {
    use tower_http::follow_redirect::FollowRedirectLayer;
    use tower_http::follow_redirect::policy::{Limited, PolicyExt, clone_body_fn};

    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let policy = Limited::default().and::<_, _, ()>(clone_body_fn(|body: &baton::Body| body.try_clone()));
    let mut svc = ServiceBuilder::new().layer(FollowRedirectLayer::with_policy(policy)).service(bare());

    let resp = send(&mut svc, get(&lab.url("/redirect/302/redirect/301/bytes/5"))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let uri = resp.extensions().get::<tower_http::follow_redirect::RequestUri>().unwrap().0.clone();
    assert_eq!(uri.path(), "/bytes/5");
    assert_eq!(text_of(resp).await, "xxxxx");

    let post = Request::post(lab.url("/redirect/307/echo")).body(baton::Body::from("replayed")).unwrap();
    let resp = send(&mut svc, post).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-received-bytes"], "8");
    assert_eq!(text_of(resp).await, "replayed");
    lab.stop().await;
}

/// tower-http's Decompression decodes what the lab compressed, each coding,
/// over HTTP/2 and HTTP/1.1, the client's own decoding off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decompression_wraps_the_client() {
    use tower_http::decompression::DecompressionLayer;

    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let text = String::from_utf8(baton_lab::routes::text(100_000).to_vec()).unwrap();
    for (name, client) in [
        ("h2", Client::builder().http2_prior_knowledge().no_gzip().no_brotli().no_zstd().no_deflate()),
        ("h1", Client::builder().no_gzip().no_brotli().no_zstd().no_deflate()),
    ] {
        let mut svc = ServiceBuilder::new().layer(DecompressionLayer::new()).service(client.build().unwrap());
        for coding in ["gzip", "deflate", "br", "zstd"] {
            let url = lab.url(&format!("/text/100000?encoding={coding}"));
            let resp = send(&mut svc, get(&url)).await;
            assert_eq!(resp.status(), StatusCode::OK);
            assert!(!resp.headers().contains_key("content-encoding"), "{name} {coding}");
            assert_eq!(text_of(resp).await, text, "{name} {coding}");
        }
    }
    lab.stop().await;
}

/// tower-http's Trace sees the response and every body chunk of it, and
/// the end of the stream with the lab's trailers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_wraps_the_client() {
    use tower_http::trace::TraceLayer;

    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let responses = Arc::new(AtomicUsize::new(0));
    let bytes = Arc::new(AtomicUsize::new(0));
    let trailers = Arc::new(AtomicUsize::new(0));
    let (r, b, t) = (responses.clone(), bytes.clone(), trailers.clone());
    let layer = TraceLayer::new_for_http()
        .on_response(move |resp: &Response<Incoming>, _: Duration, _: &tracing::Span| {
            assert_eq!(resp.status(), StatusCode::OK);
            r.fetch_add(1, Ordering::Relaxed);
        })
        .on_body_chunk(move |chunk: &Bytes, _: Duration, _: &tracing::Span| {
            b.fetch_add(chunk.len(), Ordering::Relaxed);
        })
        .on_eos(move |found: Option<&http::HeaderMap>, _: Duration, _: &tracing::Span| {
            if found.is_some_and(|t| t["x-status"] == "done") {
                t.fetch_add(1, Ordering::Relaxed);
            }
        });
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let mut svc = ServiceBuilder::new().layer(layer).service(client);
    let resp = send(&mut svc, get(&lab.url("/bytes/70000"))).await;
    assert_eq!(text_of(resp).await.len(), 70_000);
    let resp = send(&mut svc, get(&lab.url("/trailers"))).await;
    let collected = resp.into_body().collect().await.unwrap();
    assert_eq!(collected.trailers().unwrap()["x-checksum"], "abc123");
    assert_eq!(responses.load(Ordering::Relaxed), 2);
    assert_eq!(bytes.load(Ordering::Relaxed), 70_000 + "body with trailers".len());
    assert_eq!(trailers.load(Ordering::Relaxed), 1, "the trailers frame went through the layer");
    lab.stop().await;
}

/// tower-http's Timeout answers 408 (with `Incoming::default()` as the
/// body) when the lab takes too long, and lets a quick answer through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_wraps_the_client() {
    use tower_http::timeout::TimeoutLayer;

    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let client = Client::builder().http2_prior_knowledge().build().unwrap();
    let layer = TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_millis(300));
    let mut svc = ServiceBuilder::new().layer(layer).service(client.clone());
    let resp = send(&mut svc, get(&lab.url("/delay/20000"))).await;
    assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
    assert!(resp.body().attempts().is_empty() && text_of(resp).await.is_empty());
    let resp = send(&mut svc, get(&lab.url("/bytes/3"))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(text_of(resp).await, "xxx");
    lab.stop().await;
}

/// A body whose length is known (an exact size hint) and that is not
/// ready at its first poll: a real stream.
struct Trickle {
    left: Vec<Bytes>,
    len: u64,
    polled: bool,
}

impl Trickle {
    fn new(chunks: usize, size: usize) -> Self {
        Self { left: vec![Bytes::from(vec![b't'; size]); chunks], len: (chunks * size) as u64, polled: false }
    }
}

impl http_body::Body for Trickle {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if !std::mem::replace(&mut self.polled, true) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(self.left.pop().map(|chunk| {
            self.len -= chunk.len() as u64;
            Ok(Frame::data(chunk))
        }))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.len)
    }
}

/// The same with no size hint: a length nobody knows.
struct Unsized(Trickle);

impl http_body::Body for Unsized {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Pin::new(&mut self.0).poll_frame(cx)
    }
}

/// Through the Service, bodies of known length go with `Content-Length`
/// (in memory or streamed), over HTTP/1.1 and HTTP/2, as nginx sees them;
/// only a body of unknown length goes chunked over HTTP/1.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_lengths_are_sent_with_content_length() {
    let mut options = NginxOptions::new(Protocol::Http1);
    options.listeners.push(Listener::new(Protocol::H2c));
    options.site = Arc::new(common::SurfaceSite);
    let Some(nginx) = common::nginx_or_skip(&options) else { return };
    let (h1, h2c) = (nginx.addrs()[0], nginx.addrs()[1]);
    for (name, addr, mut client) in
        [("h1", h1, Client::new()), ("h2", h2c, Client::builder().http2_prior_knowledge().build().unwrap())]
    {
        let url = format!("http://{addr}/show");
        let post = |body| Request::post(&url).body(body).unwrap();
        let seen =
            text_of(client.call(post(baton::Body::from_http(Full::new(Bytes::from("full"))))).await.unwrap())
                .await;
        assert!(seen.starts_with("POST cl=4 te= "), "{name} Full: {seen}");
        let seen =
            text_of(client.call(post(baton::Body::from_http(String::from("a string")))).await.unwrap()).await;
        assert!(seen.starts_with("POST cl=8 te= "), "{name} String: {seen}");
        let seen =
            text_of(client.call(post(baton::Body::from_http(Trickle::new(3, 1000)))).await.unwrap()).await;
        assert!(seen.starts_with("POST cl=3000 te= "), "{name} known-length stream: {seen}");
        // The generic Service takes the bodies themselves, not only a baton::Body.
        let seen =
            text_of(client.call(Request::post(&url).body(Trickle::new(2, 10)).unwrap()).await.unwrap()).await;
        assert!(seen.starts_with("POST cl=20 te= "), "{name} Service<Trickle>: {seen}");
        let seen = text_of(
            client.call(Request::post(&url).body(Full::new(Bytes::from("xy"))).unwrap()).await.unwrap(),
        )
        .await;
        assert!(seen.starts_with("POST cl=2 te= "), "{name} Service<Full>: {seen}");
        let seen = text_of(
            client.call(Request::post(&url).body(Unsized(Trickle::new(3, 10))).unwrap()).await.unwrap(),
        )
        .await;
        // HTTP/1.1: chunked, and no Content-Length (nginx refuses a request
        // with both, RFC 9112 §6.3). What nginx puts in a chunked body's
        // $content_length depends on how much of it it had read (0 or its
        // buffer's size), so only the coding is compared.
        if name == "h1" {
            assert!(
                seen.starts_with("POST cl=") && seen.contains(" te=chunked "),
                "{name} unknown length: {seen}"
            );
        } else {
            assert!(seen.starts_with("POST cl= te= "), "{name} unknown length: {seen}");
        }
    }
}

/// A known-length body that lies about its length fails as the body's
/// fault, over both protocols, and nothing malformed is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_breaks_its_declared_length_fails_as_the_bodys() {
    struct Liar(Trickle);
    impl http_body::Body for Liar {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Pin::new(&mut self.0).poll_frame(cx)
        }
        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(5)
        }
    }
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    for client in [Client::new(), Client::builder().http2_prior_knowledge().build().unwrap()] {
        for chunks in [1, 3] {
            let request = Request::post(lab.url("/echo")).body(Liar(Trickle::new(chunks, 4))).unwrap();
            let err = client.clone().call(request).await.unwrap_err();
            assert!(err.is_body(), "{chunks} x 4 bytes declared as 5: {err}");
            assert!(err.to_string().contains("declared 5 bytes"), "{err}");
        }
    }
    assert_eq!(lab.ledger().stats().processed, 0, "no request with a wrong length was processed");
    lab.stop().await;
}

/// Through the Service, an in-memory body (here 1 MiB in an
/// `http_body_util::Full`, with a replay buffer of 1 KiB) is sent again
/// whole when the server refuses the first attempt; the same bytes as a
/// stream cannot be.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_bodies_replay_past_the_replay_buffer() {
    let lab = Lab::start(LabOptions::new(Scenario::RefusedStream { every: 1, above: 0 })).await.unwrap();
    let mut client = Client::builder()
        .http2_prior_knowledge()
        .retry(RetryPolicy::default().replay_buffer(1024))
        .build()
        .unwrap();
    let big = Bytes::from(vec![b'm'; 1 << 20]);
    let request =
        Request::post(lab.url("/echo")).header("x-request-id", "full").body(Full::new(big.clone())).unwrap();
    let resp = client.call(request).await.unwrap();
    assert_eq!(resp.headers()["x-received-bytes"], (1 << 20).to_string().as_str());
    let journal = resp.extensions().get::<Journal>().unwrap().clone();
    assert_eq!(journal.attempts().len(), 2, "{:#?}", journal.attempts());
    assert_eq!(journal.attempts()[0].retried, Some(RetryReason::Refused));
    assert_eq!(resp.into_body().collect().await.unwrap().to_bytes(), big);

    let request = Request::post(lab.url("/echo"))
        .header("x-request-id", "stream")
        .body(Trickle::new(64, 16 << 10))
        .unwrap();
    // The refusal may come before the connection read the first 1 KiB
    // of the body (then it is sent again, which the journal shows) or
    // after (then it cannot be, and the error says so): never anything
    // else.
    match client.call(request).await {
        Ok(resp) => {
            assert_eq!(resp.headers()["x-received-bytes"], (1 << 20).to_string().as_str());
            let journal = resp.extensions().get::<Journal>().unwrap();
            assert_eq!(
                journal.attempts()[0].retried,
                Some(RetryReason::Refused),
                "{:#?}",
                journal.attempts()
            );
        }
        Err(err) => assert!(err.to_string().contains("not replayable"), "{err}"),
    }
    lab.stop().await;
}

/// The request's extensions come back on the response, with the journal;
/// the response converts back into a `baton::Response` keeping its URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extensions_and_the_journal_reach_the_response() {
    #[derive(Clone, Debug, PartialEq)]
    struct Job(u32);

    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let mut client = Client::builder().http2_prior_knowledge().build().unwrap();
    let mut request = get(&lab.url("/bytes/4"));
    request.extensions_mut().insert(Job(7));
    let resp = client.call(request).await.unwrap();
    assert_eq!(resp.extensions().get::<Job>(), Some(&Job(7)));
    let journal = resp.extensions().get::<Journal>().unwrap();
    assert_eq!(journal.attempts().len(), 1);
    assert_eq!(journal.attempts()[0].status, Some(StatusCode::OK));
    assert_eq!(resp.body().attempts(), journal.attempts());
    let back = baton::Response::from(resp);
    assert_eq!(back.url().to_string(), lab.url("/bytes/4"));
    assert_eq!(back.extensions().get::<Job>(), Some(&Job(7)));
    assert_eq!(back.attempts().len(), 1);
    assert_eq!(back.text().await.unwrap(), "xxxx");

    let mut request = Request::get(lab.url("/bytes/2")).body(baton::Body::empty()).unwrap();
    request.extensions_mut().insert(Job(8));
    let resp = client.execute(request).await.unwrap();
    assert_eq!(resp.extensions().get::<Job>(), Some(&Job(8)), "Client::execute hands them on too");
    lab.stop().await;
}
