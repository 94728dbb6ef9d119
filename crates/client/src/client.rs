//! The public face of the client: [`Client`] and its configuration,
//! [`ClientBuilder`]. A request's attempts run in `execute.rs`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use rustls::pki_types::CertificateDer;

use baton_proto::h2 as proto;

use crate::body::Body;
use crate::connect::{Connector, ConnectorConfig, TcpOptions};
use crate::decompress::Accepts;
use crate::dns::{Dns, Resolve};
use crate::error::Error;
use crate::execute::{self, Core, RequestOptions};
use crate::into_url::IntoUrl;
use crate::pool::Pool;
use crate::proxy::{Proxies, Proxy};
use crate::redirect;
use crate::request::RequestBuilder;
use crate::response::Response;
use crate::retry::{Budget, RetryPolicy};
use crate::settings_wait::SettingsWait;
use crate::spread::Spread;
use crate::stats::{Counters, Stats};
use crate::tls::{Identity, TlsOptions, Trust, Version};

/// An HTTP client with a connection pool. Cheap to clone; clones share the
/// pool, the retry budget and the stats.
///
/// Requests are retried as the [`RetryPolicy`] allows: any request the server
/// provably did not process, and idempotent ones (RFC 9110 §9.2.2 methods,
/// an `Idempotency-Key` header, or [`RequestBuilder::idempotent`]) once more
/// when the outcome is unknown.
///
/// Connections are opened on demand, so creating a client does no I/O and
/// needs no runtime; sending does, on a Tokio runtime.
///
/// # Drop
/// Dropping the last clone closes pooled idle HTTP/1.1 connections, and each
/// HTTP/2 connection says GOAWAY(NO_ERROR) and closes once the responses still
/// being read on it are done (RFC 9113 §6.8).
///
/// ```no_run
/// # async fn run() -> Result<(), baton::Error> {
/// let client = baton::Client::new();
/// let resp = client.get("https://example.com/").send().await?;
/// println!("{} after {} attempt(s)", resp.status(), resp.attempts().len());
/// let body = resp.bytes().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    core: Arc<Core>,
}

/// Builds a [`Client`]; [`Client::builder`] makes one. Every option has a
/// default, listed with it.
///
/// ```
/// let client = baton::Client::builder()
///     .http2_prior_knowledge()
///     .max_connections_per_origin(8)
///     .retry(baton::RetryPolicy::default().max_attempts(4))
///     .build()
///     .expect("valid configuration");
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    h2_prior_knowledge: bool,
    max_per_origin: usize,
    max_http1_per_origin: usize,
    policy: RetryPolicy,
    connect_timeout: Duration,
    response_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    extra_roots: Vec<CertificateDer<'static>>,
    only_roots: bool,
    native_roots: bool,
    danger_accept_invalid_certs: bool,
    pub(crate) identity: Option<Identity>,
    pub(crate) min_tls_version: Option<Version>,
    pub(crate) max_tls_version: Option<Version>,
    pub(crate) tls_sni: bool,
    pub(crate) tls_provider: crate::tls::CryptoProvider,
    #[cfg(feature = "platform-verifier")]
    pub(crate) platform_verifier: bool,
    default_headers: http::HeaderMap,
    bad_user_agent: bool,
    idle_timeout: Duration,
    http1_only: bool,
    tcp_keepalive: Option<Duration>,
    settings_wait: SettingsWait,
    spread: Spread,
    h2: proto::Config,
    redirect: redirect::Policy,
    referer: bool,
    pub(crate) accepts: Accepts,
    /// `None`: the system's resolver (or hickory's, with the feature).
    pub(crate) resolver: Option<Arc<dyn Resolve>>,
    #[cfg(feature = "hickory-dns")]
    pub(crate) hickory_dns: bool,
    pub(crate) overrides: HashMap<String, Vec<SocketAddr>>,
    pub(crate) proxies: Vec<Proxy>,
    /// Whether the environment's proxy variables are read.
    pub(crate) env_proxies: bool,
    per_address_timeout: Option<Duration>,
    local_address: Option<std::net::IpAddr>,
    #[cfg(unix)]
    unix_socket: Option<std::path::PathBuf>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            h2_prior_knowledge: false,
            max_per_origin: 8,
            max_http1_per_origin: usize::MAX,
            policy: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            response_timeout: None,
            read_timeout: None,
            total_timeout: None,
            extra_roots: Vec::new(),
            only_roots: false,
            native_roots: false,
            danger_accept_invalid_certs: false,
            identity: None,
            min_tls_version: None,
            max_tls_version: None,
            tls_sni: true,
            tls_provider: crate::tls::CryptoProvider::default(),
            #[cfg(feature = "platform-verifier")]
            platform_verifier: false,
            default_headers: http::HeaderMap::new(),
            bad_user_agent: false,
            idle_timeout: Duration::from_secs(90),
            http1_only: false,
            // tcp_keepalive.rs: reqwest's and Go's 15 s.
            tcp_keepalive: Some(Duration::from_secs(15)),
            settings_wait: SettingsWait::default(),
            spread: Spread::off(),
            h2: proto::Config::default(),
            redirect: redirect::Policy::default(),
            referer: true,
            accepts: Accepts::default(),
            resolver: None,
            #[cfg(feature = "hickory-dns")]
            hickory_dns: true,
            overrides: HashMap::new(),
            proxies: Vec::new(),
            env_proxies: true,
            per_address_timeout: None,
            local_address: None,
            #[cfg(unix)]
            unix_socket: None,
        }
    }
}

impl ClientBuilder {
    /// Speak HTTP/2 without negotiation on `http://` URLs (h2c, RFC 9113
    /// §3.3). `https://` URLs still negotiate with ALPN. Off by default: plain
    /// `http://` speaks HTTP/1.1. [`http1_only`](Self::http1_only) overrides it.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), baton::Error> {
    /// // A backend behind the firewall that speaks cleartext HTTP/2.
    /// let client = baton::Client::builder().http2_prior_knowledge().build()?;
    /// let resp = client.get("http://10.0.0.7:8080/health").send().await?;
    /// assert_eq!(resp.version(), http::Version::HTTP_2);
    /// # Ok(()) }
    /// ```
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.h2_prior_knowledge = true;
        self
    }

    /// The most HTTP/2 connections per origin (default 8; 0 counts as 1).
    /// A new one is opened only when every open one is at the server's
    /// SETTINGS_MAX_CONCURRENT_STREAMS; past the limit, requests wait for a
    /// free stream. Draining connections (after a GOAWAY) do not count, so a
    /// replacement opens at once. HTTP/1.1 connections have their own limit,
    /// [`max_http1_connections_per_origin`](Self::max_http1_connections_per_origin).
    ///
    /// ```
    /// // One connection per origin: every request is multiplexed on it.
    /// let client = baton::Client::builder().max_connections_per_origin(1).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn max_connections_per_origin(mut self, n: usize) -> Self {
        self.max_per_origin = n.max(1);
        self
    }

    /// How HTTP/2 streams are spread over connections and the addresses an
    /// origin resolves to (default [`Spread::off`]: one connection per
    /// origin). With [`Spread::connections`] N, the pool keeps N
    /// connections per origin, spread over its addresses, each new stream
    /// on the least loaded; with [`Spread::max_connection_age`], it rotates
    /// them make-before-break so long-lived clients rebalance behind
    /// layer-4 load balancers. See [`Spread`].
    ///
    /// ```
    /// use std::net::SocketAddr;
    ///
    /// let backends: [SocketAddr; 3] =
    ///     ["10.0.0.1:0".parse().unwrap(), "10.0.0.2:0".parse().unwrap(), "10.0.0.3:0".parse().unwrap()];
    /// let client = baton::Client::builder()
    ///     .resolve_to_addrs("api.internal", &backends)
    ///     .http2_spread(baton::Spread::off().connections(3))
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_spread(mut self, spread: Spread) -> Self {
        self.spread = spread;
        self
    }

    /// At most `n` HTTP/1.1 connections per origin (at least 1), busy,
    /// idle or being opened; by default no limit. HTTP/1.1 carries one
    /// request at a time per connection, so this is also the origin's
    /// concurrency: a request that finds every connection busy waits for
    /// one to come back. A retry, which never reuses an idle connection
    /// (the one the server may be closing), closes the oldest idle one to
    /// make room when the limit is reached.
    ///
    /// ```
    /// // As browsers do: six connections per origin.
    /// let client = baton::Client::builder().max_http1_connections_per_origin(6).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn max_http1_connections_per_origin(mut self, n: usize) -> Self {
        self.max_http1_per_origin = n.max(1);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]). Its budget is
    /// shared by every clone of the built client.
    ///
    /// ```
    /// use baton::RetryPolicy;
    ///
    /// let policy = RetryPolicy::default().max_attempts(2);
    /// let client = baton::Client::builder().retry(policy).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The connection setup deadline (default 10 s). It applies to each step
    /// on its own: DNS and TCP, the TLS handshake, and the wait for the
    /// server's first HTTP/2 SETTINGS. When it passes the request fails with
    /// [`Error::is_timeout`].
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder().connect_timeout(Duration::from_secs(3)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// How long each attempt may wait for the response head once a connection
    /// has taken it (default: no limit). When it passes, the attempt is
    /// abandoned and the request fails with [`Error::is_timeout`]; it is not
    /// retried.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder().response_timeout(Duration::from_secs(5)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn response_timeout(mut self, d: Duration) -> Self {
        self.response_timeout = Some(d);
        self
    }

    /// How long a response body may go without new bytes (default: no limit).
    /// The clock runs while [`Response::chunk`] (or `bytes`, `text`) waits;
    /// when it passes, the read fails with [`Error::is_timeout`] and the
    /// stream is abandoned.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder().read_timeout(Duration::from_secs(30)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn read_timeout(mut self, d: Duration) -> Self {
        self.read_timeout = Some(d);
        self
    }

    /// A deadline for each request, from its start to the end of its
    /// response body, retries and back-off included (default: no limit).
    /// [`read_timeout`](Self::read_timeout) bounds each wait for body data
    /// besides. [`RequestBuilder::timeout`] overrides it for one request.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder().timeout(Duration::from_secs(60)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn timeout(mut self, d: Duration) -> Self {
        self.total_timeout = Some(d);
        self
    }

    /// Headers sent with every request that does not set them itself (a
    /// request's own value of a name replaces all of the defaults' for that
    /// name), as reqwest's. Redirects keep them, except credentials across
    /// origins. Called again, it adds to (and for a name it repeats,
    /// replaces) the earlier ones.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("x-api-version", HeaderValue::from_static("2024-06"));
    /// let client = baton::Client::builder().default_headers(headers).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn default_headers(mut self, headers: http::HeaderMap) -> Self {
        let mut last = None;
        for (name, value) in headers {
            // `into_iter` names a header once, before all of its values.
            let name = match name {
                Some(name) => {
                    self.default_headers.remove(&name);
                    last = Some(name.clone());
                    name
                }
                None => match &last {
                    Some(name) => name.clone(),
                    None => continue,
                },
            };
            self.default_headers.append(name, value);
        }
        self
    }

    /// The `User-Agent` sent with every request that does not set its own
    /// (default: none, as reqwest). A value that is not a valid header
    /// value makes [`build`](Self::build) fail.
    ///
    /// ```
    /// let client = baton::Client::builder().user_agent("inventory-sync/1.4").build()?;
    /// # drop(client);
    /// let err = baton::Client::builder().user_agent("bad\nagent").build().err().unwrap();
    /// assert!(err.is_builder());
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn user_agent(mut self, value: impl AsRef<str>) -> Self {
        match http::HeaderValue::from_str(value.as_ref()) {
            Ok(v) => {
                self.default_headers.insert(http::header::USER_AGENT, v);
            }
            Err(_) => self.bad_user_agent = true,
        }
        self
    }

    /// Trusts `cert` (DER) in addition to the built-in roots. The certificate
    /// is checked by [`build`](Self::build).
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ca = std::fs::read("ca.der")?; // e.g. your company's internal CA
    /// let client = baton::Client::builder().add_root_certificate(ca).build()?;
    /// # Ok(()) }
    /// ```
    pub fn add_root_certificate(mut self, cert: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(CertificateDer::from(cert.into()));
        self
    }

    /// With `false`, trusts only the certificates added with
    /// [`add_root_certificate`](Self::add_root_certificate): neither the
    /// bundled roots nor, even with [`tls_native_roots`](Self::tls_native_roots),
    /// the system's. Default `true`. With no certificate added, every TLS
    /// handshake then fails.
    ///
    /// ```no_run
    /// # fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let ca = std::fs::read("ca.der")?;
    /// let client = baton::Client::builder().add_root_certificate(ca).tls_built_in_roots(false).build()?;
    /// # Ok(()) }
    /// ```
    pub fn tls_built_in_roots(mut self, enabled: bool) -> Self {
        self.only_roots = !enabled;
        self
    }

    /// Trusts the operating system's certificate store instead of the
    /// bundled Mozilla roots (default `false`). The store is read by
    /// [`build`](Self::build), which fails when it holds no usable
    /// certificate.
    ///
    /// ```no_run
    /// // Trusts what the machine's administrator installed, corporate CAs included.
    /// let client = baton::Client::builder().tls_native_roots(true).build()?;
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn tls_native_roots(mut self, enabled: bool) -> Self {
        self.native_roots = enabled;
        self
    }

    /// Accepts any server certificate (default `false`). Only for tests
    /// against self-signed servers: it removes TLS's protection against
    /// impostors. It overrides every root option.
    ///
    /// ```
    /// // A test against a local server with a throwaway certificate.
    /// let client = baton::Client::builder().danger_accept_invalid_certs(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self
    }

    /// How long an idle connection stays pooled (default 90 s). An HTTP/2
    /// connection then sends GOAWAY and closes (unless
    /// [`http2_config`](Self::http2_config) sets its own `idle_timeout`); for
    /// HTTP/1.1 a server's shorter `Keep-Alive: timeout=` wins.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // Below a load balancer's 60 s idle cut-off, so we close first.
    /// let client = baton::Client::builder().pool_idle_timeout(Duration::from_secs(50)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = d;
        self
    }

    /// Speak only HTTP/1.1, on `https://` (ALPN offers only `http/1.1`) and
    /// `http://` alike. Overrides [`http2_prior_knowledge`](Self::http2_prior_knowledge).
    ///
    /// ```
    /// let client = baton::Client::builder().http1_only().build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http1_only(mut self) -> Self {
        self.http1_only = true;
        self
    }

    /// Sends an HTTP/2 PING once a connection with requests in flight has
    /// received nothing for this long, and closes the connection when
    /// nothing arrives for [`http2_keep_alive_timeout`](Self::http2_keep_alive_timeout)
    /// after it (RFC 9113 §6.7). `None` turns the PINGs off. Default 5 s.
    ///
    /// This is how a connection that went silent (a load balancer dropped
    /// the flow: a blackhole) is found dead: its requests then fail with
    /// their verdicts and are retried where the rules allow (a GET on a new
    /// connection; a POST whose outcome is unknown fails `MaybeProcessed`),
    /// within 10 s of the last byte instead of at their own deadlines. Any
    /// byte received answers a PING, so a busy connection never sends one.
    /// A request on a connection silent for longer than this sends its PING
    /// at once, with the request. After two PINGs with no response data in
    /// between, the next ones wait at least five minutes (gRPC servers close
    /// a connection on a third PING within five minutes: "too_many_pings").
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // Behind a balancer known to drop flows: notice within 3 s + 2 s.
    /// let client = baton::Client::builder()
    ///     .http2_keep_alive_interval(Duration::from_secs(3))
    ///     .http2_keep_alive_timeout(Duration::from_secs(2))
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_keep_alive_interval(mut self, interval: impl Into<Option<Duration>>) -> Self {
        self.h2.keepalive_interval = interval.into();
        self
    }

    /// How long after a keep-alive PING a connection may receive nothing
    /// before it is closed as dead (default 5 s). See
    /// [`http2_keep_alive_interval`](Self::http2_keep_alive_interval).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // A satellite link: give the PING's answer more time.
    /// let client = baton::Client::builder().http2_keep_alive_timeout(Duration::from_secs(20)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.h2.keepalive_timeout = timeout;
        self
    }

    /// Also sends keep-alive PINGs on idle HTTP/2 connections, with no
    /// request in flight (default `false`). Off, an idle connection costs
    /// nothing and is checked when a request next uses it. On, a dead idle
    /// connection leaves the pool before a request finds it, and NAT state
    /// stays fresh; but gRPC servers, by default, close connections that
    /// PING with no call open.
    ///
    /// ```
    /// let client = baton::Client::builder().http2_keep_alive_while_idle(true).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_keep_alive_while_idle(mut self, enabled: bool) -> Self {
        self.h2.keepalive_while_idle = enabled;
        self
    }

    /// TCP keep-alive on every connection: probes after this long idle,
    /// then every 5 s, and the connection ends after 3 unanswered; on Linux
    /// also `TCP_USER_TIMEOUT`, so data written on a dead path is given up
    /// after the same total (30 s by default) instead of the kernel's
    /// 15 minutes of retransmissions. `None` turns both off. Default 15 s
    /// (reqwest's and Go's; reqwest's user timeout is 30 s too).
    ///
    /// This is what finds an HTTP/1.1 connection whose path died (HTTP/1.1
    /// has no PING), and keeps middleboxes from expiring idle flows.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder().tcp_keepalive(Duration::from_secs(30)).build()?;
    /// let without = baton::Client::builder().tcp_keepalive(None).build()?;
    /// # drop((client, without));
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn tcp_keepalive(mut self, time: impl Into<Option<Duration>>) -> Self {
        self.tcp_keepalive = time.into();
        self
    }

    /// When a new HTTP/2 connection takes its first requests: before the
    /// server's SETTINGS arrive, or only after (default
    /// [`SettingsWait::SafeRequestsFirst`]: idempotent requests with
    /// in-memory bodies go at once, the others wait a round trip). See
    /// [`SettingsWait`] for what waiting buys.
    ///
    /// ```
    /// use baton::SettingsWait;
    ///
    /// // Every request on a new connection waits for the server's preface.
    /// let client = baton::Client::builder().http2_settings_wait(SettingsWait::Always).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_settings_wait(mut self, wait: SettingsWait) -> Self {
        self.settings_wait = wait;
        self
    }

    /// Low-level HTTP/2 settings and limits (default
    /// [`Http2Config::default()`](crate::Http2Config)). It replaces every
    /// HTTP/2 setting, the keep-alive ones included: call the
    /// `http2_keep_alive_*` methods after it.
    ///
    /// ```
    /// let mut h2 = baton::Http2Config::default();
    /// h2.initial_stream_window = 4 << 20;
    /// let client = baton::Client::builder().http2_config(h2).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_config(mut self, config: proto::Config) -> Self {
        self.h2 = config;
        self
    }

    /// How redirects are followed (default [`redirect::Policy::default`]:
    /// up to 10, as reqwest). The rules each hop follows (method, body,
    /// headers across origins) are in the [`redirect`](crate::redirect)
    /// module; every hop is in the response's
    /// [`attempts`](Response::attempts).
    ///
    /// ```
    /// use baton::redirect::Policy;
    ///
    /// // As curl without -L: a redirect is the response.
    /// let client = baton::Client::builder().redirect(Policy::none()).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn redirect(mut self, policy: redirect::Policy) -> Self {
        self.redirect = policy;
        self
    }

    /// Whether a followed redirect sends `Referer` with the URL it came
    /// from (default `true`, as reqwest; never from `https` to `http`, and
    /// never with the URL's userinfo).
    ///
    /// ```
    /// let client = baton::Client::builder().referer(false).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn referer(mut self, enable: bool) -> Self {
        self.referer = enable;
        self
    }

    /// Gives up on each address of a name after this long (default: only
    /// the [`connect_timeout`](Self::connect_timeout), which bounds the
    /// whole race). Addresses are raced, IPv6 and IPv4 interleaved, each
    /// next one started 250 ms after the previous or as soon as it fails
    /// (happy eyeballs, RFC 8305); the first to connect wins and the
    /// others are closed. This limit frees the attempts at addresses that
    /// never answer while later ones still try.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder()
    ///     .connect_timeout(Duration::from_secs(10))
    ///     .connect_timeout_per_address(Duration::from_secs(2))
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn connect_timeout_per_address(mut self, d: Duration) -> Self {
        self.per_address_timeout = Some(d);
        self
    }

    /// Connects from this local address (default: the system picks). Only
    /// addresses of its family can be reached: the others fail their
    /// attempt, so the race goes on with the rest.
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    ///
    /// let client = baton::Client::builder().local_address(IpAddr::V4(Ipv4Addr::LOCALHOST)).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn local_address(mut self, addr: impl Into<Option<std::net::IpAddr>>) -> Self {
        self.local_address = addr.into();
        self
    }

    /// Sends every request to the Unix domain socket at `path`, whatever
    /// the URL's host (which still goes in `Host`, and in TLS's SNI for an
    /// `https://` URL): for local daemons (Docker's API, a sidecar).
    /// HTTP/1.1 by default, h2c with [`http2_prior_knowledge`](Self::http2_prior_knowledge).
    /// No proxy applies.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), baton::Error> {
    /// let docker = baton::Client::builder().unix_socket("/var/run/docker.sock").build()?;
    /// let version = docker.get("http://localhost/version").send().await?.text().await?;
    /// # Ok(()) }
    /// ```
    #[cfg(unix)]
    pub fn unix_socket(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.unix_socket = Some(path.into());
        self
    }

    /// Builds the client. No connection is opened yet.
    ///
    /// # Errors
    /// An [`Error::is_builder`] error when the TLS configuration is invalid:
    /// a root certificate that does not parse, or
    /// [`tls_native_roots`](Self::tls_native_roots) with no usable system
    /// certificate.
    ///
    /// ```
    /// let err = baton::Client::builder().add_root_certificate(b"not DER".to_vec()).build().err().unwrap();
    /// assert!(err.is_builder());
    /// let client = baton::Client::builder().build()?;
    /// assert_eq!(client.stats().connections_opened, 0);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        if self.bad_user_agent {
            return Err(Error::builder("invalid user agent: not a valid header value"));
        }
        let trust = if self.danger_accept_invalid_certs {
            Trust::DangerAcceptAny
        } else if self.only_roots {
            Trust::Only(self.extra_roots)
        } else if self.native_roots {
            Trust::Native(self.extra_roots)
        } else {
            Trust::Roots(self.extra_roots)
        };
        let tls = TlsOptions {
            trust,
            identity: self.identity,
            min_version: self.min_tls_version,
            max_version: self.max_tls_version,
            sni: self.tls_sni,
            provider: self.tls_provider,
            #[cfg(feature = "platform-verifier")]
            platform_verifier: self.platform_verifier,
        };
        let resolver = match self.resolver {
            Some(resolver) => resolver,
            #[cfg(feature = "hickory-dns")]
            None if self.hickory_dns => Arc::new(crate::dns::HickoryResolver::default()),
            None => Arc::new(crate::dns::SystemResolver),
        };
        let connector = Connector::new(ConnectorConfig {
            tls,
            dns: Dns::new(resolver, self.overrides),
            proxies: Proxies::new(self.proxies, self.env_proxies),
            #[cfg(unix)]
            unix_socket: self.unix_socket,
            tcp: TcpOptions {
                per_address: self.per_address_timeout,
                local_address: self.local_address,
                keepalive: self.tcp_keepalive,
            },
            connect_timeout: self.connect_timeout,
            h2_prior_knowledge: self.h2_prior_knowledge && !self.http1_only,
            http1_only: self.http1_only,
        })?;
        let stats = Arc::new(Counters::default());
        let mut h2 = self.h2;
        // An HTTP/2 connection with no stream for the pool's idle timeout
        // says GOAWAY and closes (DESIGN.md §4: idle connections expire).
        h2.idle_timeout = h2.idle_timeout.or(Some(self.idle_timeout));
        let pool = Pool::new(
            connector,
            h2,
            self.max_per_origin,
            self.max_http1_per_origin,
            self.idle_timeout,
            self.settings_wait,
            stats.clone(),
        )
        .with_spread(self.spread);
        Ok(Client {
            core: Arc::new(Core {
                pool,
                budget: Budget::new(&self.policy),
                policy: self.policy,
                stats,
                response_timeout: self.response_timeout,
                read_timeout: self.read_timeout,
                total_timeout: self.total_timeout,
                redirect: self.redirect,
                referer: self.referer,
                accept_encoding: self.accepts.header(),
                default_headers: self.default_headers,
                accepts: self.accepts,
            }),
        })
    }
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    /// A client with the defaults: rustls with the webpki roots, ALPN h2 and
    /// http/1.1, the default [`RetryPolicy`]. The same as
    /// `Client::builder().build()` without the `Result`.
    ///
    /// # Panics
    /// Never in practice: the default TLS configuration is always valid.
    ///
    /// ```
    /// let client = baton::Client::new();
    /// assert_eq!(client.stats().requests, 0);
    /// ```
    pub fn new() -> Self {
        // The default builder has no user input that could be invalid.
        ClientBuilder::default().build().expect("the default client configuration is valid")
    }

    /// A builder for a configured client.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let client = baton::Client::builder()
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .timeout(Duration::from_secs(30))
    ///     .retry(baton::RetryPolicy::default().max_attempts(3))
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A GET request to `url`: a `&str`, `String` or `http::Uri`
    /// ([`IntoUrl`]). A bad URL is reported by [`RequestBuilder::send`],
    /// not here.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let page = client.get("https://example.com/").send().await?.text().await?;
    /// println!("{page}");
    /// # Ok(()) }
    /// ```
    pub fn get(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// A POST request to `url`. POST is not idempotent: when its outcome is
    /// unknown it is not retried, unless it has an `Idempotency-Key` header
    /// or [`RequestBuilder::idempotent`] says so.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client
    ///     .post("https://example.com/orders")
    ///     .header("content-type", "application/json")
    ///     .body(r#"{"item": 7}"#)
    ///     .send()
    ///     .await?;
    /// println!("{}", resp.status());
    /// # Ok(()) }
    /// ```
    pub fn post(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// A PUT request to `url` (idempotent: retried once when its outcome is
    /// unknown).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.put("https://example.com/items/7").body("v2").send().await?;
    /// assert!(resp.status().is_success());
    /// # Ok(()) }
    /// ```
    pub fn put(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    /// A DELETE request to `url` (idempotent: retried once when its outcome
    /// is unknown).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.delete("https://example.com/items/7").send().await?;
    /// println!("deleted: {}", resp.status());
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }

    /// A HEAD request to `url` (idempotent): the head of what a GET would
    /// answer, without its body.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.head("https://example.com/big.iso").send().await?;
    /// println!("{:?} bytes", resp.headers().get("content-length"));
    /// # Ok(()) }
    /// ```
    pub fn head(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::HEAD, url)
    }

    /// A PATCH request to `url` (not idempotent, as POST).
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.patch("https://example.com/items/7").body("{}").build()?;
    /// assert_eq!(request.method(), http::Method::PATCH);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn patch(&self, url: impl IntoUrl) -> RequestBuilder {
        self.request(Method::PATCH, url)
    }

    /// A request with any method. Whether it is retried on an unknown
    /// outcome follows RFC 9110 §9.2.2 (GET, HEAD, OPTIONS, TRACE, PUT,
    /// DELETE are idempotent).
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.request(http::Method::PATCH, "https://example.com/items/7").body("{}").build()?;
    /// assert_eq!(request.method(), http::Method::PATCH);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn request(&self, method: Method, url: impl IntoUrl) -> RequestBuilder {
        RequestBuilder::new(self.core.clone(), method, url)
    }

    /// Closes the client (and its clones) gracefully, within `grace`, and
    /// returns once every connection has said what it owes the server and
    /// closed: call it before the process exits, so the last GOAWAY or
    /// RST_STREAM of a connection reaches the server (dropping the runtime
    /// drops whatever is still queued).
    ///
    /// - No request starts from now on ([`Error::is_closed`]).
    /// - Each HTTP/2 connection sends GOAWAY(NO_ERROR) (RFC 9113 §6.8); its
    ///   streams in flight may finish until `grace` has passed, and are then
    ///   cancelled (they fail as a timeout of their connection would); then
    ///   it flushes every queued frame and closes, TLS with its
    ///   close_notify.
    /// - Idle HTTP/1.1 connections close at once; one in the middle of an
    ///   exchange closes when the exchange ends.
    ///
    /// Returns `false` when some connection was still running after `grace`
    /// and one more second to flush (a server that stops reading, an
    /// HTTP/1.1 response still being read), `true` otherwise. Requests in
    /// flight keep running until they end or `grace` passes; a response
    /// still held by the caller keeps its HTTP/1.1 connection.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let body = client.get("https://example.com/").send().await?.bytes().await?;
    /// println!("{} bytes", body.len());
    /// client.shutdown(std::time::Duration::from_secs(5)).await;
    /// # Ok(()) }
    /// ```
    pub async fn shutdown(&self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now().checked_add(grace).unwrap_or_else(far_future);
        self.core.pool.shutdown(deadline).await
    }

    /// A snapshot of what the client (and its clones) has done so far.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// client.get("https://example.com/").send().await?;
    /// let stats = client.stats();
    /// println!("{} connections, {} GOAWAYs", stats.connections_opened, stats.go_aways_total());
    /// println!("retries by reason: {:?}", stats.retries);
    /// # Ok(()) }
    /// ```
    pub fn stats(&self) -> Stats {
        self.core.stats.snapshot()
    }

    /// Sends `request`, retrying as the [`RetryPolicy`] allows. The client's
    /// [`timeout`](ClientBuilder::timeout) applies; the per-request options of
    /// [`RequestBuilder`] do not exist here (an `Idempotency-Key` header
    /// still marks the request idempotent).
    ///
    /// The future owns a clone of the client, so it can be spawned. Nothing
    /// happens until it is first polled.
    ///
    /// # Errors
    /// An [`Error::is_builder`] error when the URI is not an absolute
    /// `http`/`https` one; otherwise see [`Error`]: every failure carries its
    /// verdict and attempts.
    ///
    /// # Cancellation
    /// Dropping the future abandons the request: an HTTP/2 stream is reset
    /// (CANCEL), an HTTP/1.1 connection is closed. The server may already
    /// have acted on it.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let request = http::Request::get("https://example.com/").body(baton::Body::empty()).unwrap();
    /// let resp = client.execute(request).await?;
    /// println!("{}", resp.status());
    /// # Ok(()) }
    /// ```
    pub fn execute(
        &self,
        request: http::Request<Body>,
    ) -> impl Future<Output = Result<Response, Error>> + Send + 'static + use<> {
        execute::execute(self.core.clone(), Ok(request), None, RequestOptions::default())
    }
}

/// An instant no grace reaches (a year from now).
fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Origins;

    /// A client that talks to many origins once each (here 300 ports where
    /// nothing listens, so every request fails at connect and leaves its
    /// origin empty) keeps a bounded map of them, not one entry per origin
    /// for good.
    #[tokio::test]
    async fn origins_left_empty_are_forgotten() {
        let client = Client::builder().retry(RetryPolicy::never()).build().unwrap();
        for _ in 0..300 {
            // A port nothing listens on: bound, then let go.
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let err = client.get(format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
            assert!(err.is_connect(), "{err}");
        }
        let kept = client.core.pool.origin_count();
        assert!(kept <= 2 * Origins::FIRST_SWEEP, "{kept} origins kept");
    }
}
