//! hyper 1's server (hyper-util's `auto` builder: HTTP/1.1 and h2c with
//! prior knowledge on one cleartext port; TLS with ALPN h2 and http/1.1 on
//! another), in-process, with the routes of `baton_interop::content`.
//!
//! [`HyperServer::rotate`] is hyper's graceful shutdown
//! (`hyper_util::server::graceful::GracefulShutdown`) applied to every
//! connection open at that moment, while the listeners keep accepting: h2
//! connections get GOAWAY(2^31-1) + PING, then GOAWAY(last stream id); h1
//! connections finish their request and close.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use baton_interop::content;
use baton_interop::{Certs, Endpoints};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

type Body = BoxBody<Bytes, Infallible>;

/// The running server; its listeners stop on drop and its connections are
/// shut down gracefully.
pub(crate) struct HyperServer {
    endpoints: Endpoints,
    current: Arc<Mutex<GracefulShutdown>>,
    accepted: Arc<AtomicUsize>,
    rotations: usize,
    tasks: Vec<JoinHandle<()>>,
}

impl HyperServer {
    pub(crate) async fn start(certs: &Certs) -> io::Result<Self> {
        let plain = TcpListener::bind("127.0.0.1:0").await?;
        let tls = TcpListener::bind("127.0.0.1:0").await?;
        let endpoints = Endpoints {
            h2c: Some(plain.local_addr()?),
            tls: Some(tls.local_addr()?),
            h1: Some(plain.local_addr()?),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(certs.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certs.key_der.clone())),
            )
            .map_err(io::Error::other)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let current = Arc::new(Mutex::new(GracefulShutdown::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let tasks = vec![
            tokio::spawn(accept(plain, None, current.clone(), accepted.clone())),
            tokio::spawn(accept(tls, Some(acceptor), current.clone(), accepted.clone())),
        ];
        Ok(Self { endpoints, current, accepted, rotations: 0, tasks })
    }

    pub(crate) fn endpoints(&self) -> Endpoints {
        self.endpoints
    }

    /// Connections accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Graceful shutdown of every connection open now; new ones are
    /// accepted as before.
    pub(crate) fn rotate(&mut self) {
        let old = std::mem::replace(&mut *self.current.lock().unwrap(), GracefulShutdown::new());
        // Outside a runtime (a drop after it ended) the connections are gone
        // with it anyway.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(30), old.shutdown()).await;
            });
        }
        self.rotations += 1;
    }

    pub(crate) fn rotations(&self) -> usize {
        self.rotations
    }
}

impl Drop for HyperServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.rotate();
    }
}

async fn accept(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    current: Arc<Mutex<GracefulShutdown>>,
    accepted: Arc<AtomicUsize>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        accepted.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let watcher = current.lock().unwrap().watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            let builder = auto::Builder::new(TokioExecutor::new());
            let service = service_fn(|req| async move { Ok::<_, Infallible>(route(req).await) });
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let _ = watcher.watch(conn).await;
                }
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(stream).await else { return };
                    let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
}

async fn route(req: Request<Incoming>) -> Response<Body> {
    let full = |bytes: Vec<u8>| Full::new(Bytes::from(bytes)).boxed();
    match req.uri().path() {
        content::PATH_SMALL => Response::new(full(content::pattern(content::SMALL))),
        content::PATH_LARGE => Response::new(full(content::pattern(content::LARGE))),
        content::PATH_ECHO => match req.into_body().collect().await {
            Ok(body) => Response::new(full(body.to_bytes().to_vec())),
            Err(e) => status(StatusCode::BAD_REQUEST, e.to_string()),
        },
        content::PATH_TRAILERS => {
            let mut trailers = HeaderMap::new();
            trailers.insert(content::TRAILER_NAME, HeaderValue::from_static(content::TRAILER_VALUE));
            let body = WithTrailers {
                data: Some(Bytes::from(content::pattern(content::SMALL))),
                trailers: Some(trailers),
            };
            let mut resp = Response::new(body.boxed());
            // hyper's HTTP/1.1 server only sends the trailer fields the
            // response announces in `Trailer` (RFC 9110 §6.6.2).
            resp.headers_mut().insert(http::header::TRAILER, HeaderValue::from_static(content::TRAILER_NAME));
            resp
        }
        content::PATH_HEADERS => {
            let mut resp = Response::new(full(b"ok".to_vec()));
            for i in 0..content::BIG_HEADERS {
                let (name, value) = content::big_header(i);
                resp.headers_mut()
                    .insert(HeaderName::try_from(name).unwrap(), HeaderValue::try_from(value).unwrap());
            }
            resp
        }
        _ => status(StatusCode::NOT_FOUND, String::new()),
    }
}

fn status(code: StatusCode, text: String) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(text)).boxed());
    *resp.status_mut() = code;
    resp
}

/// One data frame, then the trailers.
struct WithTrailers {
    data: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl http_body::Body for WithTrailers {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && self.trailers.is_none()
    }
}
