//! Responses: the head at once, the body read chunk by chunk as the
//! application wants it (each chunk read reopens the flow-control window).

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};

use crate::conn::{BodyEvent, BodyReceiver, ResponseParts};
use crate::error::{Error, Kind};
use crate::journal::{Attempt, Processing};
use crate::timeouts::TimeoutKind;

/// A response whose head has arrived.
///
/// The body is read with [`Response::chunk`], [`Response::bytes`] or
/// [`Response::text`]. It is not buffered ahead of the reader: on HTTP/2,
/// each chunk read reopens the flow-control window, so a slow reader slows
/// the server down instead of filling memory.
///
/// # Drop
/// Dropping a response before its end abandons the body: the HTTP/2 stream is
/// reset (CANCEL) so the connection does not keep receiving it, and an
/// HTTP/1.1 connection is closed instead of going back to the pool. A
/// response read to its end leaves its connection reusable.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let mut resp = client.get("https://example.com/feed").send().await?;
/// println!("{} over {:?}", resp.status(), resp.version());
/// while let Some(chunk) = resp.chunk().await? {
///     println!("got {} bytes", chunk.len());
/// }
/// # Ok(()) }
/// ```
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    version: Version,
    reason: Option<Bytes>,
    attempts: Vec<Attempt>,
    body: BodyReceiver,
    trailers: Option<HeaderMap>,
    done: bool,
    idle_timeout: Option<Duration>,
    /// The request's total deadline, and the limit it came from.
    deadline: Option<(tokio::time::Instant, Duration)>,
}

impl Response {
    pub(crate) fn new(parts: ResponseParts, attempts: Vec<Attempt>, idle_timeout: Option<Duration>) -> Self {
        Self {
            status: parts.status,
            headers: parts.headers,
            version: parts.version,
            reason: parts.reason,
            attempts,
            body: parts.body,
            trailers: None,
            done: false,
            idle_timeout,
            deadline: None,
        }
    }

    /// Bounds the body by the request's total deadline too.
    pub(crate) fn with_deadline(mut self, at: tokio::time::Instant, limit: Duration) -> Self {
        self.deadline = Some((at, limit));
        self
    }

    /// The status code. Any status is a response: a 503 is not an error.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/items/7").send().await?;
    /// if resp.status() == http::StatusCode::NOT_FOUND {
    ///     println!("no item 7");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers (for HTTP/2, without pseudo-headers).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// let is_json = resp.headers().get(http::header::CONTENT_TYPE).is_some_and(|v| v == "application/json");
    /// println!("json: {is_json}");
    /// # Ok(()) }
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The HTTP version the response came over: `HTTP_2` or `HTTP_11`.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// if resp.version() == http::Version::HTTP_11 {
    ///     println!("the server did not negotiate HTTP/2");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// The reason phrase the server sent after the status code over
    /// HTTP/1.x (`b"OK"`, or whatever it chose, possibly empty); `None` over
    /// HTTP/2, which has none (RFC 9113 §8.3.2). RFC 9112 §4: a client
    /// should ignore it; it is here for callers that show or pass on what
    /// the server said. A phrase with obs-text (bytes 0x80 and up) comes
    /// back empty.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("http://example.com/").send().await?;
    /// match resp.reason_phrase() {
    ///     Some(reason) => println!("{} {}", resp.status().as_u16(), String::from_utf8_lossy(reason)),
    ///     None => println!("{} (HTTP/2: no reason phrase)", resp.status().as_u16()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reason_phrase(&self) -> Option<&[u8]> {
        self.reason.as_deref()
    }

    /// Every attempt the request took, the successful one last. More than
    /// one means baton retried, and each earlier entry says why
    /// ([`Attempt::retried`]) and how long it waited first.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// for attempt in resp.attempts() {
    ///     if let Some(reason) = attempt.retried {
    ///         let what = attempt.error.as_deref().unwrap_or("failed");
    ///         let waited = attempt.backoff;
    ///         println!("connection {}: {what}; retried ({reason}) after {waited:?}", attempt.connection_id);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The trailers, once the body has been read to its end with
    /// [`chunk`](Self::chunk); `None` before that or when there were none.
    /// ([`bytes`](Self::bytes) and [`text`](Self::text) consume the response,
    /// and its trailers with it.)
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let mut resp = client.get("https://example.com/grpc").send().await?;
    /// while resp.chunk().await?.is_some() {}
    /// let status = resp.trailers().and_then(|t| t.get("grpc-status"));
    /// # Ok(()) }
    /// ```
    pub fn trailers(&self) -> Option<&HeaderMap> {
        self.trailers.as_ref()
    }

    /// The next piece of the body, `None` at its end. Chunks come as the
    /// server sent them (no size guarantee); reading one hands its bytes
    /// back to the connection's flow control.
    ///
    /// # Errors
    /// [`Error::is_decode`] when the exchange broke after the head, or
    /// [`Error::is_timeout`] when no byte arrived within the
    /// [read timeout](crate::ClientBuilder::read_timeout). Both carry the
    /// verdict [`Processing::ResponseStarted`] and are never retried. After
    /// an error the body is over: later calls return `Ok(None)`.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::io::Write;
    ///
    /// let mut resp = client.get("https://example.com/big.log").send().await?;
    /// let mut out = std::io::stdout().lock();
    /// while let Some(chunk) = resp.chunk().await? {
    ///     out.write_all(&chunk)?; // never more than one chunk in memory
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            // The idle limit restarts with every chunk; the total deadline
            // does not (a body trickled in just under the idle limit still
            // ends when the request's time is up).
            let left = self.deadline.map(|(at, _)| at.saturating_duration_since(tokio::time::Instant::now()));
            let wait = match (self.idle_timeout, left) {
                (Some(idle), Some(left)) => Some(idle.min(left)),
                (idle, left) => idle.or(left),
            };
            let event = match wait {
                Some(t) => match tokio::time::timeout(t, self.body.recv()).await {
                    Ok(e) => e,
                    Err(_) => {
                        self.finish();
                        let (which, message) = match self.deadline {
                            Some((_, limit)) if left == Some(t) => (
                                TimeoutKind::Total,
                                format!("request timed out after {limit:?} while reading the body"),
                            ),
                            _ => (TimeoutKind::Read, format!("no response body data for {t:?}")),
                        };
                        return Err(Error::timeout(which, message)
                            .with_processing(Processing::ResponseStarted)
                            .with_attempts(self.attempts.clone()));
                    }
                },
                None => self.body.recv().await,
            };
            match event {
                Some(BodyEvent::Data(data)) => {
                    self.body.consumed(data.len());
                    return Ok(Some(data));
                }
                Some(BodyEvent::Trailers(t)) => self.trailers = Some(t),
                Some(BodyEvent::End) => {
                    self.done = true;
                    return Ok(None);
                }
                Some(BodyEvent::Failed(f)) => {
                    self.done = true;
                    let message =
                        format!("response body cut off: {}", f.attempt.error.as_deref().unwrap_or("failed"));
                    let mut attempts = self.attempts.clone();
                    attempts.pop();
                    attempts.push(f.attempt.clone());
                    let error = Error::new(Kind::Decode, message);
                    return Err(f.error_with(error, Processing::ResponseStarted, attempts));
                }
                None => {
                    self.done = true;
                    return Err(Error::new(Kind::Decode, "connection driver ended mid-body")
                        .with_processing(Processing::ResponseStarted)
                        .with_attempts(self.attempts.clone()));
                }
            }
        }
    }

    /// The whole body, in memory. A body that arrived in one chunk is
    /// returned without copying. There is no size limit: use
    /// [`chunk`](Self::chunk) for bodies that may be large.
    ///
    /// # Errors
    /// As [`Response::chunk`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let png = client.get("https://example.com/logo.png").send().await?.bytes().await?;
    /// assert!(png.starts_with(b"\x89PNG"));
    /// # Ok(()) }
    /// ```
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        // One chunk is handed out as it is; more are joined.
        let Some(first) = self.chunk().await? else { return Ok(Bytes::new()) };
        let Some(second) = self.chunk().await? else { return Ok(first) };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        while let Some(chunk) = self.chunk().await? {
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }

    /// The whole body as UTF-8, invalid sequences replaced with U+FFFD
    /// (the `charset` of `Content-Type` is not consulted).
    ///
    /// # Errors
    /// As [`Response::chunk`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let html = client.get("https://example.com/").send().await?.text().await?;
    /// println!("{} characters", html.chars().count());
    /// # Ok(()) }
    /// ```
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.body.abandon();
        }
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        self.finish();
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("attempts", &self.attempts.len())
            .finish()
    }
}
