//! How to run nginx: its listeners, its workers, its TLS identity and what
//! it serves.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use super::site::{BytesSite, Site};

/// What one listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// HTTP/2 over cleartext TCP with prior knowledge (RFC 9113 §3.3).
    H2c,
    /// HTTP/1.1 over cleartext TCP.
    Http1,
    /// TLS, with ALPN offering `h2` and `http/1.1`; needs
    /// [`NginxOptions::tls`].
    H2Tls,
}

impl Protocol {
    /// The URL scheme for this listener.
    pub fn scheme(self) -> &'static str {
        match self {
            Self::H2c | Self::Http1 => "http",
            Self::H2Tls => "https",
        }
    }
}

/// One port of a loopback address (127.0.0.1 unless [`Listener::on`] says
/// otherwise), as its own `server` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    /// What it speaks.
    pub protocol: Protocol,
    /// `keepalive_requests`: requests per connection before nginx rotates it
    /// (GOAWAY for HTTP/2, `Connection: close` for HTTP/1.1).
    pub keepalive_requests: u32,
    /// The address it listens on (a free port of it is picked).
    pub ip: IpAddr,
}

impl Listener {
    /// A listener for `protocol` on 127.0.0.1 whose connections nginx never
    /// rotates in a test's lifetime (`keepalive_requests` 1,000,000; nginx's
    /// own default is 1,000).
    pub fn new(protocol: Protocol) -> Self {
        Self { protocol, keepalive_requests: 1_000_000, ip: IpAddr::V4(Ipv4Addr::LOCALHOST) }
    }

    /// The same on `ip`, another loopback address: 127.0.0.2 is a second
    /// origin on the same machine (for redirects across origins).
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use baton_lab::nginx::{Listener, Protocol};
    ///
    /// let other = Listener::new(Protocol::Http1).on(Ipv4Addr::new(127, 0, 0, 2).into());
    /// assert_eq!(other.ip.to_string(), "127.0.0.2");
    /// ```
    pub fn on(mut self, ip: IpAddr) -> Self {
        self.ip = ip;
        self
    }
}

/// A server certificate and its key, PEM, for [`Protocol::H2Tls`].
#[derive(Debug, Clone)]
pub struct TlsIdentity {
    /// The certificate (chain), PEM.
    pub cert_pem: String,
    /// The private key, PEM.
    pub key_pem: String,
}

/// How to run nginx.
///
/// ```
/// use baton_lab::nginx::{NginxOptions, Protocol};
///
/// // HTTP/1.1, rotating every connection after 10 requests.
/// let options = NginxOptions::new(Protocol::Http1).keepalive_requests(10);
/// assert_eq!(options.listeners[0].keepalive_requests, 10);
/// assert_eq!(options.workers, 1);
/// ```
#[derive(Debug, Clone)]
pub struct NginxOptions {
    /// The listeners, each on its own port of 127.0.0.1, in this order.
    pub listeners: Vec<Listener>,
    /// `worker_processes`.
    pub workers: u32,
    /// The certificate TLS listeners present.
    pub tls: Option<TlsIdentity>,
    /// What every listener serves.
    pub site: Arc<dyn Site>,
    /// Log every request to `logs/access.log` in the prefix
    /// ([`Nginx::access_log`](super::Nginx::access_log)), one line each:
    /// its `x-request-id`, status and method. Off by default (nothing but
    /// errors is logged): a soak checks what nginx processed against it.
    pub access_log: bool,
    /// Client certificates signed by this CA (PEM) are required on TLS
    /// listeners: `ssl_client_certificate` with `ssl_verify_client on`
    /// (mutual TLS). `None` (the default) asks for none.
    pub client_ca_pem: Option<String>,
    /// The TLS versions TLS listeners accept, as nginx's `ssl_protocols`
    /// says them (`"TLSv1.2"`); `None` (the default) is `TLSv1.2 TLSv1.3`.
    pub tls_protocols: Option<String>,
    /// Each listener also listens on a Unix domain socket in the prefix
    /// ([`Nginx::unix_socket`](super::Nginx::unix_socket)), speaking the
    /// same protocol. Off by default.
    pub unix_sockets: bool,
}

impl Default for NginxOptions {
    /// One HTTP/2 (h2c) listener, as [`NginxOptions::new`].
    fn default() -> Self {
        Self::new(Protocol::H2c)
    }
}

impl NginxOptions {
    /// One listener for `protocol` ([`Listener::new`]), one worker, serving
    /// [`BytesSite`].
    pub fn new(protocol: Protocol) -> Self {
        Self {
            listeners: vec![Listener::new(protocol)],
            workers: 1,
            tls: None,
            site: Arc::new(BytesSite),
            access_log: false,
            client_ca_pem: None,
            tls_protocols: None,
            unix_sockets: false,
        }
    }

    /// Sets `keepalive_requests` on every listener.
    pub fn keepalive_requests(mut self, requests: u32) -> Self {
        for listener in &mut self.listeners {
            listener.keepalive_requests = requests;
        }
        self
    }
}
