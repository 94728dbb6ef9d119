//! Setting up transports: DNS, TCP with TCP_NODELAY, keep-alive
//! (`tcp_keepalive.rs`) and a connect timeout,
//! rustls with ALPN, or HTTP/2 prior knowledge over plain TCP.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::dns::Dns;
use crate::error::{Error, Kind};
use crate::origin::Origin;
use crate::tcp_keepalive;
use crate::timeouts::TimeoutKind;
use crate::tls::{Tls, Trust};
use crate::tls_io::{Counted, TlsIo};

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

/// Opens transports.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Arc<Tls>,
    dns: Dns,
    pub(crate) connect_timeout: Duration,
    pub(crate) h2_prior_knowledge: bool,
    pub(crate) http1_only: bool,
    /// TCP keep-alive's idle time (`tcp_keepalive.rs`); `None` leaves it off.
    pub(crate) tcp_keepalive: Option<Duration>,
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("connect_timeout", &self.connect_timeout)
            .field("h2_prior_knowledge", &self.h2_prior_knowledge)
            .field("http1_only", &self.http1_only)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .finish()
    }
}

impl Connector {
    pub(crate) fn new(
        trust: Trust,
        dns: Dns,
        connect_timeout: Duration,
        h2_prior_knowledge: bool,
        http1_only: bool,
        tcp_keepalive: Option<Duration>,
    ) -> Result<Self, Error> {
        let tls = Arc::new(Tls::new(trust, http1_only)?);
        Ok(Self { tls, dns, connect_timeout, h2_prior_knowledge, http1_only, tcp_keepalive })
    }

    /// Opens a transport to `origin`. `force_h1` asks for HTTP/1.1 (after a
    /// server said HTTP_1_1_REQUIRED). `busy` lists the addresses of the
    /// origin's open connections, for spreading (`spread.rs`): the least
    /// used addresses are tried first. Returns the address connected to.
    pub(crate) async fn connect(
        &self,
        origin: &Origin,
        force_h1: bool,
        busy: &[SocketAddr],
    ) -> Result<(BoxIo, Protocol, Option<SocketAddr>), Error> {
        let tcp = tokio::time::timeout(self.connect_timeout, self.tcp_connect(origin, busy)).await.map_err(
            |_| {
                Error::timeout(
                    TimeoutKind::Connect,
                    format!("connect to {origin} timed out after {:?}", self.connect_timeout),
                )
            },
        )??;
        if let Some(time) = self.tcp_keepalive {
            tcp_keepalive::apply(&tcp, time);
        }
        let peer = tcp.peer_addr().ok();
        if !origin.tls {
            let protocol = if self.h2_prior_knowledge && !force_h1 && !self.http1_only {
                Protocol::H2
            } else {
                Protocol::H1
            };
            return Ok((Box::new(tcp), protocol, peer));
        }
        let config = self.tls.config(force_h1);
        let name = ServerName::try_from(origin.host().to_owned()).map_err(|e| {
            Error::builder(format!("invalid TLS server name {:?}", origin.host())).with_source(e)
        })?;
        let handshake = TlsConnector::from(config).connect(name, Counted::new(tcp));
        let tls = tokio::time::timeout(self.connect_timeout, handshake)
            .await
            .map_err(|_| {
                Error::timeout(TimeoutKind::Connect, format!("TLS handshake with {origin} timed out"))
            })?
            .map_err(|e| {
                Error::new(Kind::Connect, format!("TLS handshake with {origin} failed: {e}")).with_source(e)
            })?;
        let tls = TlsIo::new(tls);
        // RFC 9113 §3.2: "h2" negotiated by ALPN means HTTP/2 over TLS.
        let protocol = if tls.session().alpn_protocol() == Some(b"h2") { Protocol::H2 } else { Protocol::H1 };
        let alpn = tls.session().alpn_protocol().map(String::from_utf8_lossy);
        let version = tls.session().protocol_version();
        tracing::debug!(%origin, ?version, ?alpn, "TLS handshake done");
        Ok((Box::new(tls), protocol, peer))
    }
}

impl Connector {
    async fn tcp_connect(&self, origin: &Origin, busy: &[SocketAddr]) -> Result<TcpStream, Error> {
        let addrs = self.dns.lookup(origin.host(), origin.port).await.map_err(|e| {
            Error::new(Kind::Connect, format!("cannot resolve {}: {e}", origin.host())).with_source(e)
        })?;
        tracing::debug!(host = %origin.host(), addresses = ?addrs, "resolved");
        let addrs = crate::spread::order(addrs, busy);
        let mut last_error = None;
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(tcp) => {
                    let _ = tcp.set_nodelay(true);
                    tracing::debug!(%addr, "TCP connected");
                    return Ok(tcp);
                }
                Err(e) => last_error = Some(e),
            }
        }
        let message = match &last_error {
            Some(e) => format!("cannot connect to {origin}: {e}"),
            None => format!("{} resolved to no address", origin.host()),
        };
        let error = Error::new(Kind::Connect, message).transient();
        Err(match last_error {
            Some(e) => error.with_source(e),
            None => error,
        })
    }
}
