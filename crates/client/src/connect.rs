//! Setting up transports: where the bytes go (a Unix socket, a proxy, or
//! the origin), DNS (`dns/`), TCP with happy eyeballs
//! (`happy_eyeballs.rs`), TCP_NODELAY, keep-alive (`tcp_keepalive.rs`) and
//! an optional local address, the proxy's handshake (`proxy/`), then
//! rustls with ALPN, or HTTP/2 prior knowledge over plain TCP. Each step
//! has the connect timeout to itself.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;

use crate::dns::Dns;
use crate::error::{Error, Kind};
use crate::happy_eyeballs;
use crate::origin::Origin;
use crate::proxy::socks::{self, Dest};
use crate::proxy::{Proxies, Scheme, Target, tunnel};
use crate::tcp_keepalive;
use crate::timeouts::TimeoutKind;
use crate::tls::{Tls, TlsOptions, Version};
use crate::tls_io::{Counted, OnRejection, TlsIo};

/// A transport the drivers can run on.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

pub(crate) type BoxIo = Box<dyn Io>;

/// Which protocol a new transport speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    H2,
    H1,
}

/// An HTTP/1.1 connection to a forward proxy (RFC 9112 §3.2.2): requests
/// go in absolute-form, with the proxy's credentials.
#[derive(Debug, Clone)]
pub(crate) struct Forward {
    pub(crate) authorization: Option<HeaderValue>,
}

/// A new transport and what runs on it.
pub(crate) struct Transport {
    pub(crate) io: BoxIo,
    pub(crate) protocol: Protocol,
    /// Set when `io` goes to a forward proxy rather than the origin.
    pub(crate) forward: Option<Forward>,
    /// The TLS version negotiated with the origin; `None` without TLS.
    pub(crate) tls_version: Option<Version>,
    /// The origin's address connected to, when connected to directly
    /// (for spreading, `spread.rs`).
    pub(crate) peer: Option<SocketAddr>,
}

/// How TCP connections are made.
#[derive(Debug, Clone, Default)]
pub(crate) struct TcpOptions {
    /// The limit on each address's attempt within the race; `None`: only
    /// the whole step's connect timeout.
    pub(crate) per_address: Option<Duration>,
    /// The local address connections are made from.
    pub(crate) local_address: Option<IpAddr>,
    /// TCP keep-alive's idle time (`tcp_keepalive.rs`); `None` leaves it off.
    pub(crate) keepalive: Option<Duration>,
}

/// Opens transports.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Arc<Tls>,
    dns: Dns,
    proxies: Proxies,
    #[cfg(unix)]
    unix_socket: Option<Arc<std::path::Path>>,
    tcp: TcpOptions,
    pub(crate) connect_timeout: Duration,
    pub(crate) h2_prior_knowledge: bool,
    pub(crate) http1_only: bool,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("connect_timeout", &self.connect_timeout)
            .field("h2_prior_knowledge", &self.h2_prior_knowledge)
            .field("http1_only", &self.http1_only)
            .field("tcp", &self.tcp)
            .field("proxies", &self.proxies)
            .finish_non_exhaustive()
    }
}

/// Everything a [`Connector`] is made of, from the builder.
pub(crate) struct ConnectorConfig {
    pub(crate) tls: TlsOptions,
    pub(crate) dns: Dns,
    pub(crate) proxies: Proxies,
    #[cfg(unix)]
    pub(crate) unix_socket: Option<std::path::PathBuf>,
    pub(crate) tcp: TcpOptions,
    pub(crate) connect_timeout: Duration,
    pub(crate) h2_prior_knowledge: bool,
    pub(crate) http1_only: bool,
}

impl Connector {
    pub(crate) fn new(config: ConnectorConfig) -> Result<Self, Error> {
        let tls = Arc::new(Tls::new(config.tls, config.http1_only)?);
        Ok(Self {
            tls,
            dns: config.dns,
            proxies: config.proxies,
            #[cfg(unix)]
            unix_socket: config.unix_socket.map(Arc::from),
            tcp: config.tcp,
            connect_timeout: config.connect_timeout,
            h2_prior_knowledge: config.h2_prior_knowledge,
            http1_only: config.http1_only,
        })
    }

    /// Opens a transport to `origin`. `force_h1` asks for HTTP/1.1 (after a
    /// server said HTTP_1_1_REQUIRED). `on_rejection` is told when the
    /// origin refuses a TLS connection after the handshake (`tls_io.rs`).
    /// `busy` lists the addresses of the origin's open connections, for
    /// spreading (`spread.rs`): the least used addresses are tried first.
    pub(crate) async fn connect(
        &self,
        origin: &Origin,
        force_h1: bool,
        on_rejection: OnRejection,
        busy: &[SocketAddr],
    ) -> Result<Transport, Error> {
        #[cfg(unix)]
        if let Some(path) = &self.unix_socket {
            let unix = self
                .step(tokio::net::UnixStream::connect(path), || format!("connect to {}", path.display()))
                .await?
                .map_err(|e| {
                    Error::new(Kind::Connect, format!("cannot connect to {}: {e}", path.display()))
                        .with_source(e)
                        .transient()
                })?;
            return self.finish(origin, unix, force_h1, on_rejection).await;
        }
        let Some(proxy) = self.proxies.for_origin(origin) else {
            let tcp = self
                .step(self.tcp_connect(origin.host(), origin.port, busy), || format!("connect to {origin}"))
                .await??;
            let peer = tcp.peer_addr().ok();
            let mut transport = self.finish(origin, tcp, force_h1, on_rejection).await?;
            transport.peer = peer;
            return Ok(transport);
        };
        self.through(proxy, origin, force_h1, on_rejection).await
    }

    /// Runs one setup step under the connect timeout.
    async fn step<T>(
        &self,
        step: impl Future<Output = T>,
        what: impl FnOnce() -> String,
    ) -> Result<T, Error> {
        tokio::time::timeout(self.connect_timeout, step).await.map_err(|_| {
            Error::timeout(
                TimeoutKind::Connect,
                format!("{} timed out after {:?}", what(), self.connect_timeout),
            )
        })
    }

    /// The plain or TLS transport to `origin` over `io`, which reaches it.
    async fn finish<S: Io + 'static>(
        &self,
        origin: &Origin,
        io: S,
        force_h1: bool,
        on_rejection: OnRejection,
    ) -> Result<Transport, Error> {
        if !origin.tls {
            let protocol = if self.h2_prior_knowledge && !force_h1 && !self.http1_only {
                Protocol::H2
            } else {
                Protocol::H1
            };
            return Ok(Transport {
                io: Box::new(io),
                protocol,
                forward: None,
                tls_version: None,
                peer: None,
            });
        }
        let config = self.tls.config(force_h1);
        let tls =
            self.tls_handshake(config, origin.host(), io, || origin.to_string()).await.map_err(|e| {
                let what = crate::tls::describe(&e, false);
                Error::new(Kind::Connect, format!("TLS handshake with {origin} failed: {what}"))
                    .with_source(e)
                    .tls()
            })?;
        let tls = tls?.on_rejection(on_rejection);
        // RFC 9113 §3.2: "h2" negotiated by ALPN means HTTP/2 over TLS.
        let protocol = if tls.session().alpn_protocol() == Some(b"h2") { Protocol::H2 } else { Protocol::H1 };
        let alpn = tls.session().alpn_protocol().map(String::from_utf8_lossy);
        let version = tls.session().protocol_version();
        tracing::debug!(%origin, ?version, ?alpn, "TLS handshake done");
        Ok(Transport {
            io: Box::new(tls),
            protocol,
            forward: None,
            tls_version: version.and_then(Version::of),
            peer: None,
        })
    }

    /// A TLS handshake with `host` over `io`, under the connect timeout:
    /// the outer error is the handshake's, the inner one a timeout.
    async fn tls_handshake<S: Io + 'static>(
        &self,
        config: Arc<rustls::ClientConfig>,
        host: &str,
        io: S,
        peer: impl FnOnce() -> String,
    ) -> Result<Result<TlsIo<S>, Error>, std::io::Error> {
        let name = match ServerName::try_from(host.to_owned()) {
            Ok(name) => name,
            Err(e) => {
                return Ok(Err(Error::builder(format!("invalid TLS server name {host:?}")).with_source(e)));
            }
        };
        let handshake = TlsConnector::from(config).connect(name, Counted::new(io));
        match tokio::time::timeout(self.connect_timeout, handshake).await {
            Ok(Ok(tls)) => Ok(Ok(TlsIo::new(tls))),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(Err(Error::timeout(
                TimeoutKind::Connect,
                format!("TLS handshake with {} timed out", peer()),
            ))),
        }
    }

    /// Through `proxy` to `origin`: a forward-proxy connection for plain
    /// HTTP/1.1 to an HTTP proxy, a tunnel (CONNECT or SOCKS5) otherwise.
    async fn through(
        &self,
        proxy: &Target,
        origin: &Origin,
        force_h1: bool,
        on_rejection: OnRejection,
    ) -> Result<Transport, Error> {
        let unreachable = |e: Error| {
            let transient = e.is_transient();
            Error::proxy(proxy, format!("is unreachable: {e}"), transient).with_source(e)
        };
        // A step with the proxy that times out stays a timeout, blamed on
        // the proxy.
        let tcp = self
            .step(self.tcp_connect(&proxy.host, proxy.port, &[]), || format!("connect to proxy {proxy}"))
            .await
            .map_err(|e| e.at_proxy(proxy))?
            .map_err(unreachable)?;
        let mut io: BoxIo = Box::new(tcp);
        if proxy.scheme == Scheme::Https {
            // TLS to the proxy itself, HTTP/1.1 only: a CONNECT or a
            // forwarded request is an HTTP/1.1 exchange here.
            let config = self.tls.config(true);
            let tls = self.tls_handshake(config, &proxy.host, io, || "the proxy".to_owned()).await.map_err(
                |e| Error::proxy(proxy, format!("TLS handshake failed: {e}"), false).with_source(e),
            )?;
            io = Box::new(tls.map_err(|e| e.at_proxy(proxy))?);
        }
        let h2c = !origin.tls && self.h2_prior_knowledge && !force_h1 && !self.http1_only;
        let io = match proxy.scheme {
            Scheme::Http | Scheme::Https if !origin.tls && !h2c => {
                tracing::debug!(proxy = %proxy, %origin, "forwarding through the proxy");
                let forward = Forward { authorization: proxy.basic_auth() };
                return Ok(Transport {
                    io,
                    protocol: Protocol::H1,
                    forward: Some(forward),
                    tls_version: None,
                    peer: None,
                });
            }
            Scheme::Http | Scheme::Https => {
                let open = tunnel::open(io, proxy, origin.host(), origin.port);
                self.step(open, || format!("CONNECT {}:{}", origin.host(), origin.port))
                    .await
                    .map_err(|e| e.at_proxy(proxy))??
            }
            Scheme::Socks5 { remote_dns } => {
                let dest = if remote_dns {
                    Dest::Name(origin.host(), origin.port)
                } else {
                    let addrs = self.dns.lookup(origin.host(), origin.port).await.map_err(|e| {
                        Error::new(Kind::Connect, format!("cannot resolve {}: {e}", origin.host()))
                            .with_source(e)
                    })?;
                    let first = addrs.first().copied().ok_or_else(|| {
                        Error::new(Kind::Connect, format!("{} resolved to no address", origin.host()))
                    })?;
                    Dest::Addr(first)
                };
                let open = socks::open(io, proxy, dest);
                self.step(open, || "SOCKS5 handshake".to_owned()).await.map_err(|e| e.at_proxy(proxy))??
            }
        };
        self.finish(origin, io, force_h1, on_rejection).await
    }

    /// Resolves `host` and connects to one of its addresses, racing them
    /// (happy eyeballs), the least used of `busy` first.
    async fn tcp_connect(&self, host: &str, port: u16, busy: &[SocketAddr]) -> Result<TcpStream, Error> {
        let addrs =
            self.dns.lookup(host, port).await.map_err(|e| {
                Error::new(Kind::Connect, format!("cannot resolve {host}: {e}")).with_source(e)
            })?;
        let addrs = happy_eyeballs::interleave(crate::spread::order(addrs, busy));
        tracing::debug!(%host, addresses = ?addrs, "resolved");
        // Without a limit of its own, an attempt lasts as long as the
        // step's connect timeout lets it (a year stands for "no limit").
        let per_address = self.tcp.per_address.unwrap_or(Duration::from_secs(365 * 24 * 3600));
        let local = self.tcp.local_address;
        let race = happy_eyeballs::race(&addrs, happy_eyeballs::ATTEMPT_DELAY, per_address, |addr| {
            tcp_to(addr, local)
        });
        match race.await {
            Ok((tcp, addr)) => {
                let _ = tcp.set_nodelay(true);
                if let Some(time) = self.tcp.keepalive {
                    tcp_keepalive::apply(&tcp, time);
                }
                tracing::debug!(%addr, "TCP connected");
                Ok(tcp)
            }
            Err(happy_eyeballs::Failed(failed)) => {
                let shown =
                    if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
                let message = match failed.as_slice() {
                    [] => format!("{host} resolved to no address"),
                    [(_, e)] => format!("cannot connect to {shown}: {e}"),
                    all => {
                        let each: Vec<String> = all.iter().map(|(a, e)| format!("{a}: {e}")).collect();
                        format!("cannot connect to {shown} at any of its addresses ({})", each.join("; "))
                    }
                };
                let error = Error::new(Kind::Connect, message).transient();
                Err(match failed.into_iter().next() {
                    Some((_, e)) => error.with_source(e),
                    None => error,
                })
            }
        }
    }
}

/// One TCP connection attempt to `addr`, from `local` if set.
async fn tcp_to(addr: SocketAddr, local: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let Some(local) = local else { return TcpStream::connect(addr).await };
    if local.is_ipv4() != addr.is_ipv4() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            format!("the local address {local} cannot reach {addr}"),
        ));
    }
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(addr).await
}
