//! The one public error type: opaque, with predicates, the verdict, the
//! GOAWAY account of httpcore PR #1054, and the journal of every attempt.

use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;

use crate::journal::{Attempt, Processing};

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
}

/// The account of a failure on a connection the server had sent GOAWAY on
/// (RFC 9113 §6.8), with the names of httpcore PR #1054
/// (`ConnectionGoingAway`). [`Error::going_away`] returns it.
///
/// The fields say what the server announced and how far this request got;
/// the methods give the verdict.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// if let Err(e) = client.put("https://example.com/items/7").body("v2").send().await {
///     if let Some(g) = e.going_away() {
///         let why = String::from_utf8_lossy(&g.debug_data);
///         println!("server left (code {:#x}: {why}), our stream {:?}", g.error_code, g.request_stream_id);
///         println!("head sent: {}, body bytes sent: {}", g.headers_sent, g.body_sent);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionGoingAway {
    /// GOAWAY's last_stream_id (0 is a real value: nothing processed).
    pub last_stream_id: u32,
    /// GOAWAY's error code.
    pub error_code: u32,
    /// GOAWAY's Additional Debug Data.
    pub debug_data: Bytes,
    /// The request's own stream id.
    pub request_stream_id: Option<u32>,
    /// Whether the whole request head was written.
    pub headers_sent: bool,
    /// Request body bytes written.
    pub body_sent: u64,
    pub(crate) processing: Processing,
}

impl ConnectionGoingAway {
    /// True when the server proved it did not process the request (our
    /// stream was above `last_stream_id`), or the request never left: sending
    /// it again cannot duplicate anything. Such an error reaches the caller
    /// only when baton's own retries ran out ([`Error::is_retries_exhausted`])
    /// or the body could not be replayed.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let pay = || client.post("https://example.com/pay").body(r#"{"cents": 500}"#).send();
    /// let resp = match pay().await {
    ///     Err(e) if e.going_away().is_some_and(|g| g.is_safe_to_retry()) => pay().await?,
    ///     other => other?,
    /// };
    /// # Ok(()) }
    /// ```
    pub fn is_safe_to_retry(&self) -> bool {
        self.processing.is_safe_to_retry()
    }

    /// True for NO_ERROR: the server is rotating the connection or shutting
    /// down, not complaining. Any other code (ENHANCE_YOUR_CALM,
    /// INTERNAL_ERROR, ...) reports a problem.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     match e.going_away() {
    ///         Some(g) if g.is_graceful_shutdown() => println!("server was rotating connections: {e}"),
    ///         Some(g) => println!("server in trouble (code {:#x}): {e}", g.error_code),
    ///         None => println!("{e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_graceful_shutdown(&self) -> bool {
        self.error_code == 0
    }

    /// True when the server may have acted on the request: the stream was at
    /// or below `last_stream_id` (or a response had started). The negation of
    /// [`is_safe_to_retry`](Self::is_safe_to_retry).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/pay").body(r#"{"cents": 500}"#).send().await {
    ///     if e.going_away().is_some_and(|g| g.may_have_side_effects()) {
    ///         let status = client.get("https://example.com/payments/latest").send().await?.text().await?;
    ///         println!("the payment may have gone through; latest: {status}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn may_have_side_effects(&self) -> bool {
        !self.is_safe_to_retry()
    }
}

struct Inner {
    kind: Kind,
    message: String,
    source: Option<BoxError>,
    processing: Option<Processing>,
    going_away: Option<ConnectionGoingAway>,
    attempts: Vec<Attempt>,
    /// A connect failure that a new attempt may not meet (refused, reset,
    /// closed before the HTTP/2 preface), as opposed to a certificate error.
    transient: bool,
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
                attempts: Vec::new(),
                transient: false,
            }),
        }
    }

    pub(crate) fn builder(message: impl Into<String>) -> Self {
        Self::new(Kind::Builder, message)
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

    pub(crate) fn transient(mut self) -> Self {
        self.inner.transient = true;
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

    /// How far the request got: the verdict of the last attempt, for failures
    /// on a connection (DESIGN.md §2). A timeout gives the strongest verdict
    /// of the attempts it cut off: `MaybeProcessed` if one was with a
    /// connection and unanswered, `NotSent` if none ever was. `None` when no
    /// verdict applies: builder and connect errors.
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
    ///         let ours = g.request_stream_id.unwrap_or(0);
    ///         println!("last_stream_id={} ours={ours}", g.last_stream_id);
    ///         println!("safe to send again: {}", g.is_safe_to_retry());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn going_away(&self) -> Option<&ConnectionGoingAway> {
        self.inner.going_away.as_ref()
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
                g.error_code,
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
        self.inner.source.as_ref().map(|s| &**s as &(dyn StdError + 'static))
    }
}
