//! Setting up transports: DNS, TCP with TCP_NODELAY and a connect timeout,
//! rustls with ALPN, or HTTP/2 prior knowledge over plain TCP.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::Uri;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::{Error, Kind};
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

/// Where requests go: scheme, host and port (RFC 9110 §4.3.2's origin).
///
/// It keeps the request URI's authority, shared, rather than a copy of its
/// host: taking a request's origin allocates nothing.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) tls: bool,
    authority: http::uri::Authority,
    /// Where the host is in `authority` (without userinfo, port, or an
    /// IPv6 literal's brackets): found once, as it is compared and hashed
    /// on every request's way through the pool.
    host: std::ops::Range<usize>,
    pub(crate) port: u16,
}

impl Origin {
    /// The origin of an absolute `http` or `https` URI.
    pub(crate) fn of(uri: &Uri) -> Result<Self, Error> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(other) => return Err(Error::builder(format!("unsupported URL scheme {other:?} in {uri}"))),
            None => return Err(Error::builder(format!("URL {uri} has no scheme (http:// or https://)"))),
        };
        let no_host = || Error::builder(format!("URL {uri} has no host"));
        let authority = uri.authority().ok_or_else(no_host)?;
        let host = authority.host();
        let port = port(authority, host, tls).ok_or_else(|| {
            Error::builder(format!("URL {uri} has an invalid port (a number from 1 to 65535)"))
        })?;
        if host.bytes().any(|b| b.is_ascii_uppercase()) {
            // RFC 9110 §4.2.3: the host is case-insensitive, so
            // `Example.COM` is `example.com`'s origin. Rare: a lowercase
            // copy of the host (a valid authority on its own) stands in.
            let lower = http::uri::Authority::try_from(host.to_ascii_lowercase()).map_err(|_| no_host())?;
            let host = bare_host(lower.as_str(), lower.as_str()).ok_or_else(no_host)?;
            return Ok(Self { tls, authority: lower, host, port });
        }
        let host = bare_host(authority.as_str(), host).ok_or_else(no_host)?;
        Ok(Self { tls, authority: authority.clone(), host, port })
    }

    /// The host, without an IPv6 literal's brackets.
    pub(crate) fn host(&self) -> &str {
        self.authority.as_str().get(self.host.clone()).unwrap_or_default()
    }
}

/// Where `host`, a slice of `text`, is in it without an IPv6 literal's
/// brackets; `None` when that leaves nothing.
fn bare_host(text: &str, host: &str) -> Option<std::ops::Range<usize>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.is_empty() {
        return None;
    }
    let start = (bare.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    Some(start..start + bare.len())
}

/// The port `authority` names, or the scheme's default when it names none
/// (RFC 3986 §3.2.3: an empty port, as in `host:`, is the default too);
/// `None` for one that is not a port number. `Authority::port_u16` reads
/// `:99999` and `:abc` as no port at all, which would send the request to
/// port 80.
fn port(authority: &http::uri::Authority, host: &str, tls: bool) -> Option<u16> {
    // After the host; `host_port` has dropped the userinfo and an empty
    // port's `:`.
    let after_host = baton_proto::authority::host_port(authority).get(host.len()..).unwrap_or_default();
    match after_host.strip_prefix(':') {
        None => Some(if tls { 443 } else { 80 }),
        Some(digits) => digits.parse::<u16>().ok().filter(|&p| p != 0),
    }
}

impl PartialEq for Origin {
    fn eq(&self, other: &Self) -> bool {
        (self.tls, self.host(), self.port) == (other.tls, other.host(), other.port)
    }
}

impl Eq for Origin {}

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.tls, self.host(), self.port).hash(state);
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host(), self.port)
    }
}

/// Opens transports.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Arc<Tls>,
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
            .finish()
    }
}

impl Connector {
    pub(crate) fn new(
        trust: Trust,
        connect_timeout: Duration,
        h2_prior_knowledge: bool,
        http1_only: bool,
    ) -> Result<Self, Error> {
        let tls = Arc::new(Tls::new(trust, http1_only)?);
        Ok(Self { tls, connect_timeout, h2_prior_knowledge, http1_only })
    }

    /// Opens a transport to `origin`. `force_h1` asks for HTTP/1.1 (after a
    /// server said HTTP_1_1_REQUIRED).
    pub(crate) async fn connect(&self, origin: &Origin, force_h1: bool) -> Result<(BoxIo, Protocol), Error> {
        let tcp = tokio::time::timeout(self.connect_timeout, tcp_connect(origin)).await.map_err(|_| {
            Error::timeout(
                TimeoutKind::Connect,
                format!("connect to {origin} timed out after {:?}", self.connect_timeout),
            )
        })??;
        if !origin.tls {
            let protocol = if self.h2_prior_knowledge && !force_h1 && !self.http1_only {
                Protocol::H2
            } else {
                Protocol::H1
            };
            return Ok((Box::new(tcp), protocol));
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
        Ok((Box::new(tls), protocol))
    }
}

async fn tcp_connect(origin: &Origin) -> Result<TcpStream, Error> {
    let addrs = tokio::net::lookup_host((origin.host(), origin.port)).await.map_err(|e| {
        Error::new(Kind::Connect, format!("cannot resolve {}: {e}", origin.host())).with_source(e)
    })?;
    let addrs: Vec<_> = addrs.collect();
    tracing::debug!(host = %origin.host(), addresses = ?addrs, "resolved");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_before_any_io() {
        let o = Origin::of(&"https://example.com/x".parse().unwrap()).unwrap();
        assert_eq!((o.tls, o.host(), o.port), (true, "example.com", 443));
        let o = Origin::of(&"http://[::1]:8080/".parse().unwrap()).unwrap();
        assert_eq!((o.tls, o.host(), o.port), (false, "::1", 8080));
        let o = Origin::of(&"https://u@WWW.Example.com:8443/".parse().unwrap()).unwrap();
        assert_eq!((o.tls, o.host(), o.port), (true, "www.example.com", 8443));
        let o = Origin::of(&"http://[FE80::1]/".parse().unwrap()).unwrap();
        assert_eq!((o.host(), o.port), ("fe80::1", 80));
        assert!(Origin::of(&"ftp://example.com/".parse().unwrap()).unwrap_err().is_builder());
        for bad in ["http://127.0.0.1:99999/", "http://h:65536/", "http://h:abc/", "https://u@h:0/"] {
            let uri = bad.parse().unwrap();
            assert!(Origin::of(&uri).unwrap_err().is_builder(), "{bad}");
        }
        let o = Origin::of(&"http://h:/".parse().unwrap()).unwrap();
        assert_eq!(o.port, 80, "an empty port is the default");
        let o = Origin::of(&"https://u:p@[::1]:8443/".parse().unwrap()).unwrap();
        assert_eq!((o.host(), o.port), ("::1", 8443));
        assert!(Origin::of(&"/relative".parse().unwrap()).unwrap_err().is_builder());
    }

    #[test]
    fn one_origin_however_its_authority_is_written() {
        let of = |u: &str| Origin::of(&u.parse().unwrap()).unwrap();
        let mut pools = std::collections::HashMap::new();
        pools.insert(of("http://example.com/a"), 1);
        for same in ["http://example.com:80/b", "http://user@example.com/c", "http://Example.COM/d"] {
            assert_eq!(of(same), of("http://example.com/a"), "{same}");
            assert_eq!(pools.get(&of(same)), Some(&1), "{same}");
        }
        for other in ["https://example.com/", "http://example.com:8080/", "http://example.org/"] {
            assert_ne!(of(other), of("http://example.com/a"), "{other}");
            assert_eq!(pools.get(&of(other)), None, "{other}");
        }
    }
}
