//! A small gRPC service for the four call shapes, written by hand on
//! tonic's server and client halves (no code generation): `echo.Echo` with
//! `Unary`, `Stream` (server-streaming), `Sum` (client-streaming) and `Bidi`,
//! and a tonic server carrying it beside tonic-health's `grpc.health.v1`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::PathAndQuery;
use tokio_stream::{Stream, StreamExt};
use tonic::server::NamedService;
use tonic::{Request, Response, Status, Streaming};
use tonic_prost::ProstCodec;

/// The one message type, both ways.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Msg {
    /// A counter, or a count.
    #[prost(uint32, tag = "1")]
    pub(crate) n: u32,
    /// Payload.
    #[prost(bytes = "vec", tag = "2")]
    pub(crate) data: Vec<u8>,
    /// Unary: sleep this long first. Stream: between messages.
    #[prost(uint32, tag = "3")]
    pub(crate) delay_ms: u32,
    /// Stream: end with `ABORTED` after `n` messages instead of OK.
    #[prost(bool, tag = "4")]
    pub(crate) fail: bool,
}

impl Msg {
    pub(crate) fn n(n: u32) -> Self {
        Self { n, ..Self::default() }
    }
}

/// What the server saw.
#[derive(Default)]
pub(crate) struct Seen {
    /// Calls of any method that reached a handler.
    pub(crate) calls: AtomicUsize,
    /// Server streams whose client went away before the end (the stream was
    /// reset: tonic drops the response body).
    pub(crate) abandoned: AtomicUsize,
}

/// The service.
#[derive(Clone, Default)]
pub(crate) struct Echo {
    pub(crate) seen: Arc<Seen>,
}

impl NamedService for Echo {
    const NAME: &'static str = "echo.Echo";
}

type BoxStream = Pin<Box<dyn Stream<Item = Result<Msg, Status>> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for Echo {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let seen = self.seen.clone();
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<Msg, Msg>::default());
            let path = req.uri().path().to_owned();
            seen.calls.fetch_add(1, Ordering::Relaxed);
            Ok(match path.as_str() {
                "/echo.Echo/Unary" => grpc.unary(tower::service_fn(unary), req).await,
                "/echo.Echo/Stream" => {
                    let seen = seen.clone();
                    grpc.server_streaming(tower::service_fn(move |r| stream(r, seen.clone())), req).await
                }
                "/echo.Echo/Sum" => grpc.client_streaming(tower::service_fn(sum), req).await,
                "/echo.Echo/Bidi" => grpc.streaming(tower::service_fn(bidi), req).await,
                _ => Status::unimplemented(path).into_http(),
            })
        })
    }
}

async fn unary(req: Request<Msg>) -> Result<Response<Msg>, Status> {
    let msg = req.into_inner();
    tokio::time::sleep(Duration::from_millis(msg.delay_ms.into())).await;
    Ok(Response::new(msg))
}

/// `n` messages (`n` = 0 is endless), `delay_ms` apart, then OK or ABORTED.
async fn stream(req: Request<Msg>, seen: Arc<Seen>) -> Result<Response<BoxStream>, Status> {
    let msg = req.into_inner();
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        let mut i = 0;
        while msg.n == 0 || i < msg.n {
            if tx.send(Ok(Msg::n(i))).await.is_err() {
                seen.abandoned.fetch_add(1, Ordering::Relaxed);
                return;
            }
            i += 1;
            tokio::time::sleep(Duration::from_millis(msg.delay_ms.into())).await;
        }
        let end = if msg.fail { Err(Status::aborted(format!("stopped after {i}"))) } else { return };
        let _ = tx.send(end).await;
    });
    Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))))
}

/// The count of messages in `n`, the sum of their `n`s in `delay_ms`.
async fn sum(req: Request<Streaming<Msg>>) -> Result<Response<Msg>, Status> {
    let mut input = req.into_inner();
    let (mut count, mut total) = (0u32, 0u32);
    while let Some(m) = input.next().await {
        let m = m?;
        count += 1;
        total = total.wrapping_add(m.n);
    }
    Ok(Response::new(Msg { n: count, delay_ms: total, ..Msg::default() }))
}

/// Each message back as it comes, `n` doubled.
async fn bidi(req: Request<Streaming<Msg>>) -> Result<Response<BoxStream>, Status> {
    let input = req.into_inner();
    let out = input.map(|m| m.map(|m| Msg { n: m.n * 2, ..m }));
    Ok(Response::new(Box::pin(out)))
}

/// A tonic server with `Echo` and the health service on 127.0.0.1; stopped
/// when the returned sender is dropped or sent to.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) echo: Echo,
    /// Keeps the health service's statuses alive.
    _health: tonic_health::server::HealthReporter,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    pub(crate) fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Started on a free port.
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_service_status("", tonic_health::ServingStatus::Serving).await;
        let echo = Echo::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router =
            tonic::transport::Server::builder().add_service(health_service).add_service(echo.clone());
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        tokio::spawn(async move {
            let _ = router
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self { addr, echo, _health: health, _stop: stop }
    }
}

/// tonic's generic client half over any transport `T` for `origin`.
pub(crate) fn client<T>(transport: T, origin: &str) -> tonic::client::Grpc<T> {
    tonic::client::Grpc::with_origin(transport, origin.parse().unwrap())
}

pub(crate) const UNARY: PathAndQuery = PathAndQuery::from_static("/echo.Echo/Unary");
pub(crate) const STREAM: PathAndQuery = PathAndQuery::from_static("/echo.Echo/Stream");
pub(crate) const SUM: PathAndQuery = PathAndQuery::from_static("/echo.Echo/Sum");
pub(crate) const BIDI: PathAndQuery = PathAndQuery::from_static("/echo.Echo/Bidi");

pub(crate) fn codec() -> ProstCodec<Msg, Msg> {
    ProstCodec::default()
}
