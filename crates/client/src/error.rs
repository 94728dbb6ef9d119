//! The one public error type: opaque, with predicates, the verdict, the
//! GOAWAY account of httpcore PR #1054, and the journal of every attempt.

use std::error::Error as StdError;
use std::fmt;

use baton_proto::h2::{Reason, Violation};

use crate::going_away::ConnectionGoingAway;
use crate::journal::{Attempt, Processing};
use crate::timeouts::TimeoutKind;

pub(crate) type BoxError = Box<dyn StdError + Send + Sync>;

/// What kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Invalid input, found before any I/O.
    Builder,
    /// DNS, TCP or TLS setup failed.
    Connect,
    /// A deadline passed.
    Timeout,
    /// The exchange failed on the connection (GOAWAY, reset, close,
    /// protocol error); see `processing()`.
    Request,
    /// The request body failed to produce bytes.
    Body,
    /// Reading the response body failed after the head arrived.
    Decode,
    /// A retry was warranted but the attempt cap or retry budget ran out.
    RetriesExhausted,
    /// The redirect policy refused a redirect, or it could not be followed.
    Redirect,
    /// The client was shut down.
    Closed,
    /// `error_for_status` found a 4xx or 5xx status.
    Status,
}

struct Inner {
    kind: Kind,
    message: String,
    source: Option<BoxError>,
    processing: Option<Processing>,
    going_away: Option<ConnectionGoingAway>,
    /// The HTTP/2 rule the server broke, when that ended the request.
    violation: Option<Violation>,
    /// The HTTP/2 error code involved, the server's or ours.
    reason: Option<Reason>,
    attempts: Vec<Attempt>,
    /// For a timeout: which limit ran out.
    timeout: Option<TimeoutKind>,
    /// A connect failure that a new attempt may not meet (refused, reset,
    /// closed before the HTTP/2 preface), as opposed to a certificate error.
    transient: bool,
    /// TLS failed: the handshake, or an alert from the server.
    tls: bool,
    /// For [`Kind::Status`]: the status.
    status: Option<http::StatusCode>,
    /// For a failure at a proxy: its URL (without credentials).
    proxy: Option<String>,
    /// For a proxy's refused CONNECT: its status code.
    proxy_status: Option<u16>,
}

/// A baton error. Ask it what happened with the predicates, how far the
/// request got with [`Error::processing`], and what every attempt did with
/// [`Error::attempts`].
///
/// Its `Display` form is one line with the cause, the verdict, the GOAWAY
/// account and the number of attempts. It is `Send + Sync + 'static`, so it
/// goes into `Box<dyn std::error::Error + Send + Sync>` with `?`.
///
/// ```
/// let client = baton::Client::new();
/// let err = client.get("not a url").build().unwrap_err();
/// assert!(err.is_builder());
/// assert_eq!(err.processing(), None); // nothing reached a connection
/// assert!(err.attempts().is_empty());
/// let boxed: Box<dyn std::error::Error + Send + Sync> = err.into();
/// assert!(boxed.to_string().contains("not a url"));
/// ```
pub struct Error {
    inner: Box<Inner>,
}

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                source: None,
                processing: None,
                going_away: None,
                violation: None,
                reason: None,
                attempts: Vec::new(),
                timeout: None,
                transient: false,
                tls: false,
                status: None,
                proxy: None,
                proxy_status: None,
            }),
        }
    }

    pub(crate) fn builder(message: impl Into<String>) -> Self {
        Self::new(Kind::Builder, message)
    }

    /// A timeout error: `which` limit ran out.
    pub(crate) fn timeout(which: TimeoutKind, message: impl Into<String>) -> Self {
        let mut e = Self::new(Kind::Timeout, message);
        e.inner.timeout = Some(which);
        e
    }

    /// A failure at `proxy` (unreachable, refused the tunnel, failed its
    /// TLS or SOCKS handshake): a connect error, its message led by the
    /// proxy's URL. Nothing reached the origin.
    pub(crate) fn proxy(proxy: &crate::proxy::Target, what: impl fmt::Display, transient: bool) -> Self {
        let mut e = Self::new(Kind::Connect, format!("proxy {proxy} {what}"));
        e.inner.proxy = Some(proxy.to_string());
        e.inner.transient = transient;
        e
    }

    /// The same error, blamed on `proxy` (a timeout of a step with the
    /// proxy keeps its kind): its message led by the proxy's URL.
    pub(crate) fn at_proxy(mut self, proxy: &crate::proxy::Target) -> Self {
        if self.inner.proxy.is_none() {
            self.inner.message = format!("proxy {proxy}: {}", self.inner.message);
            self.inner.proxy = Some(proxy.to_string());
        }
        self
    }

    /// The status a proxy answered a CONNECT with.
    pub(crate) fn with_proxy_status(mut self, status: u16) -> Self {
        self.inner.proxy_status = Some(status);
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_processing(mut self, processing: Processing) -> Self {
        self.inner.processing = Some(processing);
        self
    }

    pub(crate) fn with_going_away(mut self, going_away: ConnectionGoingAway) -> Self {
        self.inner.going_away = Some(going_away);
        self
    }

    pub(crate) fn with_violation(mut self, violation: Violation) -> Self {
        self.inner.violation = Some(violation);
        self
    }

    pub(crate) fn with_reason(mut self, reason: Reason) -> Self {
        self.inner.reason = Some(reason);
        self
    }

    /// The same error, its headline led by `earlier`: what an earlier
    /// attempt showed of the server, more telling than this failure.
    pub(crate) fn after(
        mut self,
        earlier: &str,
        violation: Option<Violation>,
        reason: Option<Reason>,
    ) -> Self {
        self.inner.message = format!("{earlier}; then {}", self.inner.message);
        self.inner.violation = self.inner.violation.or(violation);
        self.inner.reason = self.inner.reason.or(reason);
        self
    }

    pub(crate) fn transient(mut self) -> Self {
        self.inner.transient = true;
        self
    }

    /// The error `error_for_status` returns for `status` of `url`.
    pub(crate) fn status_of(status: http::StatusCode, url: &http::Uri) -> Self {
        let side = if status.is_client_error() { "client" } else { "server" };
        let mut e = Self::new(Kind::Status, format!("HTTP status {side} error ({status}) for URL ({url})"));
        e.inner.status = Some(status);
        e
    }

    /// Marks a TLS failure ([`is_tls`](Self::is_tls)).
    pub(crate) fn tls(mut self) -> Self {
        self.inner.tls = true;
        self
    }

    pub(crate) fn is_transient(&self) -> bool {
        self.inner.transient
    }

    pub(crate) fn with_attempts(mut self, attempts: Vec<Attempt>) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// Invalid input (URL, header, TLS configuration), found before any I/O:
    /// [`RequestBuilder::send`](crate::RequestBuilder::send) and
    /// [`ClientBuilder::build`](crate::ClientBuilder::build) return it.
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let err = client.get("ftp://example.com/").build().unwrap_err();
    /// assert!(err.is_builder());
    /// let err = client.get("https://example.com/").header("bad name", "x").build().unwrap_err();
    /// assert!(err.is_builder());
    /// ```
    pub fn is_builder(&self) -> bool {
        self.inner.kind == Kind::Builder
    }

    /// The connection could not be set up (DNS, TCP, TLS, or the server
    /// closed it before its HTTP/2 preface). Nothing was sent. A failed TCP
    /// connect or an early close is retried first, and the error keeps this
    /// kind when the attempts run out.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// match client.get("https://127.0.0.1:1/").send().await {
    ///     Err(e) if e.is_connect() => println!("unreachable after {} attempt(s): {e}", e.attempts().len()),
    ///     other => println!("{:?}", other?.status()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// A 4xx or 5xx status, made an error by
    /// [`Response::error_for_status`](crate::Response::error_for_status);
    /// [`status`](Self::status) says which.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// match client.get("https://example.com/items/7").send().await?.error_for_status() {
    ///     Ok(resp) => println!("{}", resp.text().await?),
    ///     Err(e) if e.status() == Some(http::StatusCode::NOT_FOUND) => println!("no item 7"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_status(&self) -> bool {
        self.inner.kind == Kind::Status
    }

    /// The status of an [`is_status`](Self::is_status) error; `None` for
    /// the others.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await?.error_for_status() {
    ///     println!("failed with {:?}", e.status());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> Option<http::StatusCode> {
        self.inner.status
    }

    /// TLS refused the connection: the handshake failed (an untrusted or
    /// mismatched server certificate, no common version or cipher suite),
    /// or the server sent a fatal alert before any response, as a server
    /// that rejects the client certificate does with TLS 1.3
    /// ([`ClientBuilder::identity`](crate::ClientBuilder::identity)). Such
    /// an error is also [`is_connect`](Self::is_connect); its message names
    /// the alert or the certificate problem. It is not retried: another
    /// connection would meet the same refusal.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// match client.get("https://internal.example.com/").send().await {
    ///     Err(e) if e.is_tls() => println!("TLS refused: {e}"),
    ///     other => println!("{}", other?.status()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_tls(&self) -> bool {
        self.inner.tls
    }

    /// The proxy failed, not the origin: it could not be reached, refused
    /// the CONNECT tunnel (407 without or with wrong credentials, 403, 502
    /// when it could not reach the origin...), or its TLS or SOCKS5
    /// handshake failed or refused. [`is_connect`](Self::is_connect) is
    /// true too; the message starts with the proxy's URL (never its
    /// credentials), and [`proxy_status`](Self::proxy_status) has a refused
    /// CONNECT's status. Nothing reached the origin (a retry is safe); a
    /// refusal that would come back the same (407, 403, a SOCKS rule) is
    /// not retried.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), baton::Error> {
    /// let proxy = baton::Proxy::all("http://127.0.0.1:3128")?;
    /// let client = baton::Client::builder().proxy(proxy).build()?;
    /// match client.get("https://example.com/").send().await {
    ///     Err(e) if e.proxy_status() == Some(407) => println!("the proxy wants credentials: {e}"),
    ///     Err(e) if e.is_proxy() => println!("the proxy failed: {e}"),
    ///     other => println!("{:?}", other?.status()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_proxy(&self) -> bool {
        self.inner.proxy.is_some()
    }

    /// The status code a proxy refused a CONNECT tunnel with (407, 403,
    /// 502...), for an [`is_proxy`](Self::is_proxy) error.
    ///
    /// ```
    /// let err = baton::Client::new().get("not a url").build().unwrap_err();
    /// assert_eq!(err.proxy_status(), None);
    /// ```
    pub fn proxy_status(&self) -> Option<u16> {
        self.inner.proxy_status
    }

    /// A timeout ran out: connect, response head, idle read, or the total
    /// deadline. A timeout is never retried.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// match client.get("https://example.com/report").timeout(Duration::from_secs(2)).send().await {
    ///     Err(e) if e.is_timeout() => println!("no answer in 2 s; serving the cached report"),
    ///     other => println!("{}", other?.text().await?),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// For a timeout ([`is_timeout`](Self::is_timeout)), which limit ran
    /// out: opening a connection, the response (head or body), a streaming
    /// upload the connection stopped taking, room in the pool, or the
    /// request's total deadline. `None` for other errors.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// use baton::{TimeoutKind, Timeouts};
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let limits = Timeouts { connect: Some(Duration::from_secs(1)), ..Timeouts::default() };
    /// match client.get("https://example.com/").timeouts(limits).send().await {
    ///     Err(e) if e.timeout_kind() == Some(TimeoutKind::Connect) => println!("unreachable: {e}"),
    ///     other => println!("{}", other?.status()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn timeout_kind(&self) -> Option<TimeoutKind> {
        self.inner.timeout
    }

    /// The request failed on a connection the server had sent GOAWAY on;
    /// [`Error::going_away`] has the details. Requests that succeeded after a
    /// GOAWAY retry are not errors: see [`Response::attempts`](crate::Response::attempts).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if e.is_going_away() {
    ///         println!("the server was rotating or shutting down: {e}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_going_away(&self) -> bool {
        self.inner.going_away.is_some()
    }

    /// The request body failed: the `http_body::Body` given to
    /// [`Body::wrap`](crate::Body::wrap) returned an error, and the attempt
    /// was abandoned. The error's [`source`](std::error::Error::source) chain does not
    /// include the body's error, only its text.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client, upload: baton::Body) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/upload").body(upload).send().await {
    ///     if e.is_body() {
    ///         println!("our upload source failed, not the server: {e}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_body(&self) -> bool {
        self.inner.kind == Kind::Body
    }

    /// The response body could not be read to its end: the stream or the
    /// connection broke after the head. Its verdict is always
    /// [`Processing::ResponseStarted`](crate::Processing::ResponseStarted),
    /// and it is never retried. (An idle read timeout is
    /// [`is_timeout`](Self::is_timeout) instead.)
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/export.csv").send().await?;
    /// match resp.bytes().await {
    ///     Ok(csv) => println!("{} bytes", csv.len()),
    ///     Err(e) if e.is_decode() => println!("export cut off; the server did answer: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// The client was shut down ([`Client::shutdown`](crate::Client::shutdown))
    /// before this request got a connection. Nothing was sent.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = baton::Client::new();
    /// client.shutdown(std::time::Duration::from_secs(1)).await;
    /// let err = client.get("https://example.com/").send().await.unwrap_err();
    /// assert!(err.is_closed());
    /// assert_eq!(err.processing(), None);
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.kind == Kind::Closed
    }

    /// A retry was due but the attempt cap
    /// ([`RetryPolicy::max_attempts`](crate::RetryPolicy::max_attempts)) or the
    /// client-wide retry budget said no. Connect failures keep
    /// [`is_connect`](Self::is_connect) instead.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if e.is_retries_exhausted() {
    ///         println!("gave up after {} attempts: {e}", e.attempts().len());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_retries_exhausted(&self) -> bool {
        self.inner.kind == Kind::RetriesExhausted
    }

    /// A redirect ended the request: the [redirect policy](crate::redirect::Policy)
    /// refused it (too many, or a custom policy's
    /// [`error`](crate::redirect::Hop::error), its
    /// [`source`](std::error::Error::source)), or it leads to a URL that
    /// cannot be followed (not `http` or `https`). Its verdict is
    /// [`Processing::ResponseStarted`](crate::Processing::ResponseStarted):
    /// the server answered the request.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), baton::Error> {
    /// let client = baton::Client::builder().redirect(baton::redirect::Policy::limited(2)).build()?;
    /// match client.get("http://example.com/loop").send().await {
    ///     Err(e) if e.is_redirect() => println!("gave up: {e}"),
    ///     other => println!("{}", other?.status()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_redirect(&self) -> bool {
        self.inner.kind == Kind::Redirect
    }

    /// How far the request got: the verdict of the last attempt, for failures
    /// on a connection (DESIGN.md §2). A timeout gives the strongest verdict
    /// of the attempts it cut off: `MaybeProcessed` if one was with a
    /// connection and unanswered, `NotSent` if none ever was. `None` when no
    /// verdict applies: builder and connect errors.
    ///
    /// After a redirect was followed, the request was answered (the
    /// redirect is the server's answer to it), so a later failure of the
    /// chain is `ResponseStarted` whatever the next hop's own verdict: a
    /// POST redirected with 303 was processed, and sending it again would
    /// repeat it. Each hop's own verdict is in its [`attempts`](Self::attempts).
    ///
    /// baton has already retried what its [`RetryPolicy`](crate::RetryPolicy)
    /// allows, so this is for the application's own decision.
    ///
    /// ```no_run
    /// use baton::Processing;
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// match client.post("https://example.com/orders").body(r#"{"item": 7}"#).send().await {
    ///     Ok(resp) => println!("ordered: {}", resp.status()),
    ///     Err(e) => match e.processing() {
    ///         // The server never saw it: queue it and send it again later.
    ///         Some(Processing::NotSent | Processing::NotProcessed) => println!("requeued: {e}"),
    ///         // It may have been placed: look the order up before sending it again.
    ///         Some(Processing::MaybeProcessed) => println!("order state unknown: {e}"),
    ///         Some(Processing::ResponseStarted) | None => return Err(e),
    ///     },
    /// }
    /// # Ok(()) }
    /// ```
    pub fn processing(&self) -> Option<Processing> {
        self.inner.processing
    }

    /// The GOAWAY account, when the request failed on a connection the
    /// server had sent GOAWAY on.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/orders").body("{}").send().await {
    ///     if let Some(g) = e.going_away() {
    ///         let ours = g.request_stream_id.map_or(0, |id| id.value());
    ///         println!("last_stream_id={} ours={ours}", g.last_stream_id);
    ///         println!("safe to send again: {}", g.is_safe_to_retry());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn going_away(&self) -> Option<&ConnectionGoingAway> {
        self.inner.going_away.as_ref()
    }

    /// The HTTP/2 rule the server broke (or the limit of ours it went
    /// past), when that is what ended the request: baton reset the stream or
    /// closed the connection with [`Violation::reason`]. HTTP/1.1 responses
    /// that break RFC 9112 are reached through
    /// [`source`](std::error::Error::source) instead
    /// (`baton_proto::h1::ResponseError`).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if let Some(v) = e.violation() {
    ///         println!("the server broke HTTP/2 ({}): {v}", v.reason());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn violation(&self) -> Option<&Violation> {
        self.inner.violation.as_ref()
    }

    /// The HTTP/2 error code involved in the failure: the server's
    /// RST_STREAM or GOAWAY code, or the one baton sent for a
    /// [`violation`](Self::violation). `None` when there was none (a
    /// connection lost without a word, HTTP/1.1, a timeout).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if e.reason() == Some(baton::Reason::ENHANCE_YOUR_CALM) {
    ///         println!("the server asks us to slow down: {e}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reason(&self) -> Option<Reason> {
        self.inner.reason
    }

    /// Every attempt made, in order, the failed one last; each earlier entry
    /// says why baton tried again ([`Attempt::retried`](crate::Attempt::retried)).
    /// Empty for builder errors; an attempt cut short by a timeout is not
    /// listed.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     for (i, attempt) in e.attempts().iter().enumerate() {
    ///         println!("attempt {}: {attempt}", i + 1);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn attempts(&self) -> &[Attempt] {
        &self.inner.attempts
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("baton::Error");
        d.field("kind", &self.inner.kind).field("message", &self.inner.message);
        if let Some(p) = self.inner.processing {
            d.field("processing", &p);
        }
        if let Some(g) = &self.inner.going_away {
            d.field("going_away", g);
        }
        if let Some(v) = &self.inner.violation {
            d.field("violation", v);
        }
        if let Some(s) = &self.inner.source {
            d.field("source", s);
        }
        d.field("attempts", &self.inner.attempts.len()).finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)?;
        if let Some(p) = self.inner.processing {
            write!(f, " ({p})")?;
        }
        if let Some(g) = &self.inner.going_away {
            write!(
                f,
                "; GOAWAY last_stream_id={} error_code={:#x}, request stream {}",
                g.last_stream_id,
                g.error_code.code(),
                g.request_stream_id.map_or_else(|| "none".to_owned(), |id| id.to_string())
            )?;
        }
        if self.inner.attempts.len() > 1 {
            write!(f, " after {} attempts", self.inner.attempts.len())?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match (&self.inner.source, &self.inner.violation) {
            (Some(s), _) => Some(&**s as &(dyn StdError + 'static)),
            (None, Some(v)) => Some(v),
            (None, None) => None,
        }
    }
}
