//! Responses: the head at once, the body read chunk by chunk as the
//! application wants it (each chunk read reopens the flow-control window),
//! through [`Incoming`], which is also what an `http::Response` made from a
//! [`Response`] carries.

use std::fmt;
use std::task::Poll;
use std::time::Duration;

use baton_proto::spare_headers::Spare;
use bytes::{Bytes, BytesMut};
use http::{Extensions, HeaderMap, StatusCode, Uri, Version};
use http_body::Body as _;

use crate::error::Error;
use crate::incoming::Incoming;
use crate::journal::{Attempt, Journal};

/// A response whose head has arrived.
///
/// The body is read with [`Response::chunk`], [`Response::bytes`] or
/// [`Response::text`]. It is not buffered ahead of the reader: on HTTP/2,
/// each chunk read reopens the flow-control window, so a slow reader slows
/// the server down instead of filling memory.
///
/// A `Response` converts into an `http::Response<`[`Incoming`]`>` (and
/// back): the body as an `http_body::Body`, with the journal as a
/// [`Journal`] extension, for code built on the `http` types.
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
    /// Given back for the next response's head when dropped (see
    /// `baton_proto::spare_headers`).
    headers: Spare,
    version: Version,
    reason: Option<Bytes>,
    url: Uri,
    extensions: Extensions,
    body: Incoming,
    /// Boxed: rare, and a `Response` is moved whole through every future
    /// that returns it.
    trailers: Option<Box<HeaderMap>>,
}

/// The URL of a [`Response`] made into an `http::Response`, so that making
/// it back into a `Response` keeps it.
#[derive(Clone)]
struct ResponseUrl(Uri);

/// The HTTP/1.x reason phrase of a [`Response`] made into an
/// `http::Response`, kept for the way back.
#[derive(Clone)]
struct ResponseReason(Bytes);

impl Response {
    pub(crate) fn new(
        status: StatusCode,
        headers: HeaderMap,
        version: Version,
        reason: Option<Bytes>,
        url: Uri,
        extensions: Extensions,
        body: Incoming,
    ) -> Self {
        Self { status, headers: headers.into(), version, reason, url, extensions, body, trailers: None }
    }

    /// Bounds the body by the request's total deadline too.
    pub(crate) fn with_deadline(mut self, at: tokio::time::Instant, limit: Duration) -> Self {
        self.body.set_deadline(at, limit);
        self
    }

    /// The head's parts the client's layers change (redirects,
    /// decompression): headers and the body.
    pub(crate) fn parts_mut(&mut self) -> (&mut HeaderMap, &mut Incoming) {
        (&mut *self.headers, &mut self.body)
    }

    /// The response, or an [`Error::is_status`] error when its status is a
    /// client (4xx) or server (5xx) error, as reqwest's: for code that
    /// treats those as failures. The body is dropped with the error.
    ///
    /// # Errors
    /// The status error, with [`Error::status`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let body = client.get("https://example.com/report").send().await?.error_for_status()?.text().await?;
    /// # Ok(()) }
    /// ```
    pub fn error_for_status(self) -> Result<Self, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// As [`error_for_status`](Self::error_for_status), keeping the
    /// response (and its body) either way.
    ///
    /// # Errors
    /// The status error, with [`Error::status`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/report").send().await?;
    /// if let Err(e) = resp.error_for_status_ref() {
    ///     eprintln!("{e}: {}", resp.text().await?);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn error_for_status_ref(&self) -> Result<&Self, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    fn status_error(&self) -> Option<Error> {
        (self.status.is_client_error() || self.status.is_server_error())
            .then(|| Error::status_of(self.status, &self.url))
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

    /// The response headers, to change or to take.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let mut resp = client.get("https://example.com/").send().await?;
    /// let headers = std::mem::take(resp.headers_mut());
    /// println!("{} header fields", headers.len());
    /// # Ok(()) }
    /// ```
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
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
        self.body.attempts()
    }

    /// The URL of the response: the request's, or after redirects were
    /// followed, the last one's (where the body comes from).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("http://example.com/").send().await?;
    /// println!("{} came from {}", resp.status(), resp.url());
    /// # Ok(()) }
    /// ```
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// The extensions: those of the `http::Request` given to
    /// [`Client::execute`](crate::Client::execute) (or the
    /// `tower::Service`), handed on to its response.
    ///
    /// ```no_run
    /// #[derive(Clone)]
    /// struct Job(u32);
    ///
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let mut request = http::Request::get("https://example.com/").body(baton::Body::empty()).unwrap();
    /// request.extensions_mut().insert(Job(7));
    /// let resp = client.execute(request).await?;
    /// assert_eq!(resp.extensions().get::<Job>().map(|j| j.0), Some(7));
    /// # Ok(()) }
    /// ```
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// The extensions, to change.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let mut resp = client.get("https://example.com/").send().await?;
    /// resp.extensions_mut().insert(std::time::Instant::now());
    /// # Ok(()) }
    /// ```
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
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
        self.trailers.as_deref()
    }

    /// The next piece of the body, `None` at its end. Chunks come as the
    /// server sent them (no size guarantee); reading one hands its bytes
    /// back to the connection's flow control.
    ///
    /// # Errors
    /// [`Error::is_decode`] when the exchange broke after the head, or
    /// [`Error::is_timeout`] when no byte arrived within the
    /// [read timeout](crate::ClientBuilder::read_timeout). Both carry the
    /// verdict [`Processing::ResponseStarted`](crate::Processing::ResponseStarted) and are never retried. After
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
        // Each call is a wait of its own for the read timeout, as it was
        // when the body was read with an `async fn` per chunk: time spent
        // between calls (a `chunk()` polled once and dropped) never counts.
        self.body.new_wait();
        std::future::poll_fn(|cx| {
            loop {
                let frame = match std::pin::Pin::new(&mut self.body).poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => frame,
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                    Poll::Ready(None) => return Poll::Ready(Ok(None)),
                    Poll::Pending => return Poll::Pending,
                };
                match frame.into_data() {
                    Ok(data) => return Poll::Ready(Ok(Some(data))),
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.trailers = Some(Box::new(trailers));
                        }
                    }
                }
            }
        })
        .await
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
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("version", &self.version)
            .field("headers", &self.headers)
            .field("url", &self.url)
            .field("attempts", &self.attempts().len())
            .finish()
    }
}

/// The response as an `http::Response`, its body an [`Incoming`]: the
/// status, headers and version as they are, the extensions with the
/// [`Journal`] added. Trailers already read with
/// [`Response::chunk`] are not in it; the rest of the body is.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let resp: http::Response<baton::Incoming> = client.get("https://example.com/").send().await?.into();
/// let journal = resp.extensions().get::<baton::Journal>().expect("baton puts it there");
/// println!("{} after {} attempt(s)", resp.status(), journal.attempts().len());
/// # Ok(()) }
/// ```
impl From<Response> for http::Response<Incoming> {
    fn from(resp: Response) -> Self {
        let Response { status, headers, version, reason, url, mut extensions, body, trailers: _ } = resp;
        if let Some(journal) = body.journal() {
            extensions.insert(journal.clone());
        }
        extensions.insert(ResponseUrl(url));
        if let Some(reason) = reason {
            extensions.insert(ResponseReason(reason));
        }
        let mut out = Self::new(body);
        *out.status_mut() = status;
        *out.version_mut() = version;
        *out.headers_mut() = headers.into_inner();
        *out.extensions_mut() = extensions;
        out
    }
}

/// An `http::Response<Incoming>` as a [`Response`] again. Its
/// [`url`](Response::url) is the one it had as a `Response`, or `/` for one
/// that never was.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let resp: http::Response<baton::Incoming> = client.get("https://example.com/").send().await?.into();
/// let text = baton::Response::from(resp).text().await?;
/// # Ok(()) }
/// ```
impl From<http::Response<Incoming>> for Response {
    fn from(resp: http::Response<Incoming>) -> Self {
        let (mut parts, body) = resp.into_parts();
        let url = parts.extensions.remove::<ResponseUrl>().map_or_else(Uri::default, |u| u.0);
        let reason = parts.extensions.remove::<ResponseReason>().map(|r| r.0);
        parts.extensions.remove::<Journal>();
        Self::new(parts.status, parts.headers, parts.version, reason, url, parts.extensions, body)
    }
}
