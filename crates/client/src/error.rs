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

/// The account of a failure caused by a server closing or going away, with
/// the names of httpcore PR #1054 (`ConnectionGoingAway`).
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
    /// True when the server proved it did not process the request (or the
    /// request never left): sending it again cannot duplicate anything.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/pay").body("{}").send().await {
    ///     if let Some(g) = e.going_away() {
    ///         println!("GOAWAY last_stream_id={} safe to retry: {}", g.last_stream_id, g.is_safe_to_retry());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_safe_to_retry(&self) -> bool {
        self.processing.is_safe_to_retry()
    }

    /// True for NO_ERROR: the server is rotating or shutting down, not
    /// complaining.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     let rotating = e.going_away().is_some_and(|g| g.is_graceful_shutdown());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_graceful_shutdown(&self) -> bool {
        self.error_code == 0
    }

    /// True when the server may have acted on the request.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/pay").body("{}").send().await {
    ///     if e.going_away().is_some_and(|g| g.may_have_side_effects()) {
    ///         // Check with the server before paying again.
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

    /// Invalid input (URL, header, builder option), found before any I/O.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let err = baton::Client::new().get("ftp://example.com/").send().await.unwrap_err();
    /// assert!(err.is_builder());
    /// # }
    /// ```
    pub fn is_builder(&self) -> bool {
        self.inner.kind == Kind::Builder
    }

    /// The connection could not be set up (DNS, TCP, TLS).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let err = client.get("https://127.0.0.1:1/").send().await.unwrap_err();
    /// assert!(err.is_connect());
    /// # Ok(()) }
    /// ```
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// A timeout ran out (connect, response head, idle read, or the total
    /// deadline).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let r = client.get("https://example.com/slow").timeout(std::time::Duration::from_millis(10)).send().await;
    /// assert!(r.is_err_and(|e| e.is_timeout()));
    /// # Ok(()) }
    /// ```
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// The server sent GOAWAY on the connection this request was on.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if e.is_going_away() { /* the server was rotating or shutting down */ }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_going_away(&self) -> bool {
        self.inner.going_away.is_some()
    }

    /// The request body failed.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/").body("x").send().await {
    ///     if e.is_body() { /* our own request body failed */ }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_body(&self) -> bool {
        self.inner.kind == Kind::Body
    }

    /// The response body could not be read to its end.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// if let Err(e) = resp.bytes().await {
    ///     assert!(e.is_decode()); // the body broke after the head: never retried
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }

    /// A retry was due but the attempt cap or the retry budget said no.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if e.is_retries_exhausted() { println!("gave up after {} attempts", e.attempts().len()); }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_retries_exhausted(&self) -> bool {
        self.inner.kind == Kind::RetriesExhausted
    }

    /// How far the request got, for failures on a connection (DESIGN.md §2).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// use baton::Processing;
    /// match client.post("https://example.com/orders").body("{}").send().await {
    ///     Ok(_) => {}
    ///     Err(e) => match e.processing() {
    ///         Some(Processing::NotSent | Processing::NotProcessed) => { /* safe to send again */ }
    ///         Some(Processing::MaybeProcessed) => { /* ask the server before sending again */ }
    ///         Some(Processing::ResponseStarted) | None => { /* report */ }
    ///     },
    /// }
    /// # Ok(()) }
    /// ```
    pub fn processing(&self) -> Option<Processing> {
        self.inner.processing
    }

    /// The GOAWAY account, when the server went away.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     if let Some(g) = e.going_away() {
    ///         println!("last_stream_id={} ours={:?} code={:#x}", g.last_stream_id, g.request_stream_id, g.error_code);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn going_away(&self) -> Option<&ConnectionGoingAway> {
        self.inner.going_away.as_ref()
    }

    /// Every attempt made, in order.
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
