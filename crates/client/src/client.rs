//! The client: configuration, the request loop with its retries, and stats.

use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};
use rustls::pki_types::CertificateDer;
use tokio::sync::oneshot;

use baton_proto::h2 as proto;

use crate::body::Body;
use crate::conn::{AttemptFailure, AttemptRequest, FailureCause, Outcome, expects_continue};
use crate::connect::{Connector, Origin};
use crate::error::{ConnectionGoingAway, Error, Kind};
use crate::journal::{Attempt, Log, RetryReason};
use crate::pool::{Lease, Pool};
use crate::request::RequestBuilder;
use crate::response::Response;
use crate::retry::{self, Budget, Decision, Refusal, RequestFacts, RetryPolicy};
use crate::stats::{Counters, Stats};
use crate::tls::Trust;

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
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    policy: RetryPolicy,
    budget: Budget,
    stats: Arc<Counters>,
    response_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    total_timeout: Option<Duration>,
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
    idle_timeout: Duration,
    http1_only: bool,
    h2: proto::Config,
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
            idle_timeout: Duration::from_secs(90),
            http1_only: false,
            h2: proto::Config::default(),
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

    /// Low-level HTTP/2 settings and limits (default
    /// `baton_proto::h2::Config::default()`). The type lives in the
    /// `baton-proto` crate, which the caller then depends on too.
    ///
    /// ```
    /// let mut h2 = baton_proto::h2::Config::default();
    /// h2.initial_stream_window = 4 << 20;
    /// let client = baton::Client::builder().http2_config(h2).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn http2_config(mut self, config: proto::Config) -> Self {
        self.h2 = config;
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
        let trust = if self.danger_accept_invalid_certs {
            Trust::DangerAcceptAny
        } else if self.only_roots {
            Trust::Only(self.extra_roots)
        } else if self.native_roots {
            Trust::Native(self.extra_roots)
        } else {
            Trust::Roots(self.extra_roots)
        };
        let connector = Connector::new(
            trust,
            self.connect_timeout,
            self.h2_prior_knowledge && !self.http1_only,
            self.http1_only,
        )?;
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
            stats.clone(),
        );
        Ok(Client {
            inner: Arc::new(Inner {
                pool,
                budget: Budget::new(&self.policy),
                policy: self.policy,
                stats,
                response_timeout: self.response_timeout,
                read_timeout: self.read_timeout,
                total_timeout: self.total_timeout,
            }),
        })
    }
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

/// A request taken apart, as its attempts use it.
struct Exchange {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    idempotent: bool,
}

/// What `execute` needs besides the request itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) idempotent: Option<bool>,
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

    /// A GET request to `url`. A bad URL is reported by
    /// [`RequestBuilder::send`], not here.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let page = client.get("https://example.com/").send().await?.text().await?;
    /// println!("{page}");
    /// # Ok(()) }
    /// ```
    pub fn get(&self, url: &str) -> RequestBuilder {
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
    pub fn post(&self, url: &str) -> RequestBuilder {
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
    pub fn put(&self, url: &str) -> RequestBuilder {
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
    pub fn delete(&self, url: &str) -> RequestBuilder {
        self.request(Method::DELETE, url)
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
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        RequestBuilder::new(self.clone(), method, url)
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
        self.inner.stats.snapshot()
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
        self.execute_with(Ok(request), RequestOptions::default())
    }

    /// Takes the request apart at once (no I/O, nothing counted: that waits
    /// for the first poll) and returns the future that runs it; a builder
    /// error comes out of that future. Not an `async fn`: those keep their
    /// arguments and the locals moved out of them side by side for the
    /// future's whole life, and this future is in every request in flight.
    pub(crate) fn execute_with(
        &self,
        request: Result<http::Request<Body>, Error>,
        options: RequestOptions,
    ) -> impl Future<Output = Result<Response, Error>> + Send + 'static + use<> {
        let client = self.clone();
        let limit = options.timeout.or(self.inner.total_timeout);
        let (request, invalid) = match request {
            Ok(request) => (request, None),
            Err(e) => (http::Request::new(Body::empty()), Some(e)),
        };
        let (parts, body) = request.into_parts();
        let idempotent = options.idempotent.unwrap_or_else(|| is_idempotent(&parts.method, &parts.headers));
        body.set_replay_limit(self.inner.policy.replay_limit());
        let exchange =
            Exchange { method: parts.method, uri: parts.uri, headers: parts.headers, body, idempotent };
        async move {
            if let Some(e) = invalid {
                return Err(e);
            }
            let origin = Origin::of(&exchange.uri)?;
            let inner = &client.inner;
            inner.stats.request();
            inner.budget.deposit();
            let journal = std::sync::Mutex::new(Log::default());
            let started = tokio::time::Instant::now();
            let result = match limit {
                Some(limit) => match tokio::time::timeout(limit, client.run(&origin, &exchange, &journal))
                    .await
                {
                    // A limit too far to add to the clock leaves the body
                    // no deadline beyond its own (`Duration::MAX` is "none").
                    Ok(r) => r.map(|resp| match started.checked_add(limit) {
                        Some(at) => resp.with_deadline(at, limit),
                        None => resp,
                    }),
                    Err(_) => {
                        let why = format!("request timed out after {limit:?}");
                        let (attempts, verdict) = lock(&journal).cut_off(&why);
                        Err(Error::new(Kind::Timeout, why).with_processing(verdict).with_attempts(attempts))
                    }
                },
                None => client.run(&origin, &exchange, &journal).await,
            };
            match &result {
                Ok(_) => inner.stats.response(),
                Err(e) => inner.stats.failure(e.processing()),
            }
            result
        }
    }

    /// The attempts of one request, until a response or a failure that is
    /// not retried (DESIGN.md §3).
    async fn run(
        &self,
        origin: &Origin,
        exchange: &Exchange,
        journal: &std::sync::Mutex<Log>,
    ) -> Result<Response, Error> {
        let Exchange { method, uri, headers, body, idempotent } = exchange;
        let idempotent = *idempotent;
        // Without `Expect` after a 417 (below).
        let mut headers = std::borrow::Cow::Borrowed(headers);
        let inner = &self.inner;
        let attempts_so_far = || lock(journal).attempts();
        let mut attempts = 0;
        let mut idempotent_retries = 0;
        loop {
            attempts += 1;
            // A transient connect failure sent nothing: it goes through the
            // same decision as any failed attempt (S14: bounded by the attempt
            // cap and the budget, backing off), but fails with its own error.
            let mut connect_error = None;
            let failure = match inner.pool.lease(origin, attempts > 1).await {
                Ok(lease) => {
                    let (tx, rx) = oneshot::channel();
                    let (id, reused, version) = match &lease {
                        Lease::H2 { handle, reused } => (handle.id, *reused, http::Version::HTTP_2),
                        Lease::H1 { conn, reused, .. } => (conn.id, *reused, http::Version::HTTP_11),
                    };
                    let attempt = Attempt::new(id, reused, version);
                    lock(journal).start(attempt.clone());
                    let request = AttemptRequest {
                        method: method.clone(),
                        uri: uri.clone(),
                        headers: headers.as_ref().clone(),
                        body: body.reader(),
                        attempt,
                        respond: tx,
                    };
                    // Kept until the outcome arrives: dropped before (a
                    // timeout, or this future dropped), it has the driver
                    // reset the abandoned stream.
                    let waiting = match lease {
                        Lease::H2 { handle, .. } => Some(handle.send(request)),
                        Lease::H1 { conn, home, .. } => {
                            conn.send(request, home);
                            None
                        }
                    };
                    let outcome = match inner.response_timeout {
                        Some(limit) => match tokio::time::timeout(limit, rx).await {
                            Ok(o) => o,
                            Err(_) => {
                                let why = format!("no response head within {limit:?}");
                                let (attempts, verdict) = lock(journal).cut_off(&why);
                                return Err(Error::new(Kind::Timeout, why)
                                    .with_processing(verdict)
                                    .with_attempts(attempts));
                            }
                        },
                        None => rx.await,
                    };
                    if let Some(w) = waiting {
                        w.answered();
                    }
                    match outcome {
                        Ok(Outcome::Response(parts))
                            if parts.status == http::StatusCode::EXPECTATION_FAILED
                                && expects_continue(&headers)
                                && attempts < inner.policy.attempt_limit()
                                && body.replayable().await.is_ok() =>
                        {
                            // RFC 9110 §10.1.1: a 417 only says that something
                            // on the way does not support expectations; the
                            // client SHOULD repeat the request without one.
                            // The held body was not sent. Dropping the 417
                            // resets its stream (HTTP/2) or closes its
                            // connection (HTTP/1.1).
                            let mut attempt = parts.attempt.clone();
                            attempt.retried = Some(RetryReason::ExpectationFailed);
                            lock(journal).push(attempt);
                            inner.stats.retry(RetryReason::ExpectationFailed);
                            headers.to_mut().remove(http::header::EXPECT);
                            continue;
                        }
                        Ok(Outcome::Response(parts)) => {
                            lock(journal).answered();
                            let attempt = parts.attempt.clone();
                            let mut all = attempts_so_far();
                            all.push(attempt);
                            return Ok(Response::new(parts, all, inner.read_timeout));
                        }
                        Ok(Outcome::Failed(f)) => f,
                        Err(_) => {
                            // The request went to the connection, and may
                            // have left: say so, as a timeout would.
                            let why = "connection driver stopped without an answer";
                            let (attempts, verdict) = lock(journal).cut_off(why);
                            return Err(Error::new(Kind::Request, why)
                                .with_processing(verdict)
                                .with_attempts(attempts));
                        }
                    }
                }
                Err(e) if e.is_transient() => {
                    let mut attempt = Attempt::new(0, false, http::Version::HTTP_2);
                    attempt.error = Some(e.to_string());
                    attempt.processing = Some(crate::journal::Processing::NotSent);
                    let failure = AttemptFailure {
                        attempt,
                        cause: FailureCause::Connect(e.to_string()),
                        processing: crate::journal::Processing::NotSent,
                        first_on_connection: true,
                    };
                    connect_error = Some(e);
                    failure
                }
                Err(e) => return Err(connect_failure(e, attempts_so_far())),
            };
            // Nothing of the body was read for a connect failure.
            let replayable = if connect_error.is_some() { Ok(()) } else { body.replayable().await };
            let facts = RequestFacts { idempotent, replayable, attempts, idempotent_retries };
            let decision = retry::decide(&inner.policy, &inner.budget, &failure, facts);
            let mut attempt = failure.attempt.clone();
            match decision {
                Decision::Retry { reason, backoff, http1 } => {
                    tracing::info!(
                        %origin,
                        connection = attempt.connection_id,
                        stream_id = attempt.stream_id,
                        phase = %attempt.phase,
                        processing = %failure.processing,
                        go_away_last = attempt.go_away.as_ref().map(|g| g.last_stream_id.value()),
                        %reason,
                        backoff_ms = backoff.as_millis() as u64,
                        "retrying request"
                    );
                    attempt.retried = Some(reason);
                    attempt.backoff = backoff;
                    lock(journal).push(attempt);
                    inner.stats.retry(reason);
                    if reason == RetryReason::Idempotent {
                        idempotent_retries += 1;
                    }
                    if http1 {
                        inner.pool.require_http1(origin);
                    }
                    if !backoff.is_zero() {
                        tokio::time::sleep(backoff).await;
                    }
                }
                Decision::Fail(refusal) => {
                    tracing::info!(
                        %origin,
                        connection = attempt.connection_id,
                        stream_id = attempt.stream_id,
                        phase = %attempt.phase,
                        processing = %failure.processing,
                        ?refusal,
                        "request failed"
                    );
                    lock(journal).push(attempt);
                    let attempts = attempts_so_far();
                    return Err(match connect_error {
                        Some(e) => connect_failure(e, attempts),
                        None => {
                            // The request's verdict is its furthest
                            // attempt's, not the last one's: a PUT that may
                            // have been processed on its first attempt stays
                            // `MaybeProcessed` when the retry is refused.
                            let verdict = crate::journal::strongest(&attempts);
                            failure_error(&failure, refusal, verdict.unwrap_or(failure.processing), attempts)
                        }
                    });
                }
            }
        }
    }
}

/// A connect error ends the request: it carries a verdict only when an
/// earlier attempt got further than "not sent" (see [`Error::processing`]).
fn connect_failure(e: Error, attempts: Vec<Attempt>) -> Error {
    match crate::journal::strongest(&attempts) {
        Some(v) if v != crate::journal::Processing::NotSent => e.with_processing(v).with_attempts(attempts),
        _ => e.with_attempts(attempts),
    }
}

fn lock(log: &std::sync::Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    // Nothing panics while holding it; a poisoned log is still whole.
    log.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// RFC 9110 §9.2.2 idempotent methods, or an `Idempotency-Key` header.
fn is_idempotent(method: &Method, headers: &HeaderMap) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    ) || headers.contains_key("idempotency-key")
}

fn failure_error(
    failure: &AttemptFailure,
    refusal: Refusal,
    verdict: crate::journal::Processing,
    attempts: Vec<Attempt>,
) -> Error {
    let what = match &failure.cause {
        FailureCause::GoAway => "stream above the server's GOAWAY last_stream_id".to_owned(),
        FailureCause::Reset(code) => {
            format!("stream reset by the server ({})", proto::frame::Reason::new(*code))
        }
        FailureCause::Protocol(detail) => format!("protocol error: {detail}"),
        FailureCause::Closed(how) => format!("connection closed: {how}"),
        FailureCause::Rejected(why) => format!("connection refused the stream: {why}"),
        FailureCause::Invalid(why) => format!("invalid request: {why}"),
        FailureCause::Body(why) => format!("request body failed: {why}"),
        FailureCause::Connect(why) => why.clone(),
    };
    let (kind, note) = match refusal {
        Refusal::Verdict => (Kind::Request, String::new()),
        Refusal::NotReplayable(sent) => {
            (Kind::Request, format!("; not retried: {} streaming body is not replayable", human_bytes(sent)))
        }
        Refusal::Attempts => (Kind::RetriesExhausted, "; not retried: attempt limit reached".to_owned()),
        Refusal::Invalid => (Kind::Builder, String::new()),
        Refusal::BodyFailed => (Kind::Body, String::new()),
        Refusal::Budget => {
            (Kind::RetriesExhausted, "; not retried: client retry budget exhausted".to_owned())
        }
    };
    let mut error =
        Error::new(kind, format!("{what}{note}")).with_processing(verdict).with_attempts(attempts);
    if let Some(g) = failure.go_away() {
        error = error.with_going_away(ConnectionGoingAway {
            last_stream_id: g.last_stream_id.value(),
            error_code: g.error_code.code(),
            debug_data: g.debug_data.clone(),
            request_stream_id: failure.attempt.stream_id,
            headers_sent: failure.attempt.phase.head_sent(),
            body_sent: failure.attempt.body_sent,
            processing: failure.processing,
        });
    }
    error
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Header validation shared by the request builder.
pub(crate) fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| Error::builder(format!("invalid header name {name:?}")).with_source(e))?;
    let v = HeaderValue::from_str(value)
        .map_err(|e| Error::builder(format!("invalid value for header {name}")).with_source(e))?;
    Ok((n, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::Origins;

    #[test]
    fn idempotency_follows_rfc_9110_and_the_key_header() {
        let none = HeaderMap::new();
        for m in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE, Method::PUT, Method::DELETE] {
            assert!(is_idempotent(&m, &none), "{m}");
        }
        assert!(!is_idempotent(&Method::POST, &none));
        let mut keyed = HeaderMap::new();
        keyed.insert("idempotency-key", HeaderValue::from_static("k1"));
        assert!(is_idempotent(&Method::POST, &keyed));
    }

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(1_258_291), "1.2 MiB");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(10), "10 B");
    }

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
            let err = client.get(&format!("http://127.0.0.1:{port}/")).send().await.unwrap_err();
            assert!(err.is_connect(), "{err}");
        }
        let kept = client.inner.pool.origin_count();
        assert!(kept <= 2 * Origins::FIRST_SWEEP, "{kept} origins kept");
    }
}
