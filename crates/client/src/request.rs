//! Building a request: bad input is caught here, before any I/O.

use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};

use crate::body::Body;
use crate::error::Error;
use crate::execute::{self, Core, RequestOptions};
use crate::into_url::IntoUrl;
use crate::origin::Origin;
use crate::response::Response;

/// A request being built, from [`Client::get`](crate::Client::get) and its siblings. Errors in
/// the URL or headers are kept and returned by [`RequestBuilder::send`] (or
/// [`RequestBuilder::build`]) before anything is sent.
///
/// Dropping a builder sends nothing.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let resp = client
///     .post("https://example.com/orders")
///     .header("content-type", "application/json")
///     .header("idempotency-key", "order-7")
///     .body(r#"{"item": 7}"#)
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    core: Arc<Core>,
    method: Method,
    /// The URI and its origin, taken once here: a bad URL is reported by
    /// [`Self::build`] as well as by [`Self::send`], and sending does not
    /// take the origin again.
    pub(crate) target: Result<(Uri, Origin), Error>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Body,
    options: RequestOptions,
    pub(crate) error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(core: Arc<Core>, method: Method, url: impl IntoUrl) -> Self {
        let target = url.into_uri().and_then(|uri| {
            let origin = Origin::of(&uri)?;
            Ok((uri, origin))
        });
        Self {
            core,
            method,
            target,
            headers: HeaderMap::new(),
            body: Body::empty(),
            options: RequestOptions::default(),
            error: None,
        }
    }

    /// Adds a header (appended if the name is already present). An invalid
    /// name or value is reported by [`send`](Self::send) or
    /// [`build`](Self::build). An `Idempotency-Key` header marks the request
    /// idempotent for retries.
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client
    ///     .get("https://example.com/")
    ///     .header("accept", "text/html")
    ///     .header("accept", "application/xhtml+xml")
    ///     .build()?;
    /// assert_eq!(request.headers().get_all("accept").iter().count(), 2);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match header_pair(name, value) {
            Ok((n, v)) => {
                self.headers.append(n, v);
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Adds every header of `headers`, appending to any already set. They
    /// are valid by construction, so this cannot fail.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue};
    ///
    /// let mut common = HeaderMap::new();
    /// common.insert("user-agent", HeaderValue::from_static("inventory-sync/1.4"));
    /// let client = baton::Client::new();
    /// let request = client.get("https://example.com/items").headers(common.clone()).build()?;
    /// assert_eq!(request.headers()["user-agent"], "inventory-sync/1.4");
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (name, value) in &headers {
            self.headers.append(name.clone(), value.clone());
        }
        self
    }

    /// Sets `Authorization: Basic` with `username` and `password` (RFC 7617
    /// §2: base64 of `username:password`, the colon kept when there is no
    /// password), replacing any earlier `Authorization`. The value is marked
    /// sensitive (kept out of `Debug` output), and a redirect to another
    /// origin drops it.
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.get("https://example.com/").basic_auth("aladdin", Some("opensesame")).build()?;
    /// assert_eq!(request.headers()["authorization"], "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn basic_auth<U: std::fmt::Display, P: std::fmt::Display>(
        self,
        username: U,
        password: Option<P>,
    ) -> Self {
        use base64::Engine as _;
        let credentials = match password {
            Some(password) => format!("{username}:{password}"),
            None => format!("{username}:"),
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        self.authorization(format!("Basic {encoded}"))
    }

    /// Sets `Authorization: Bearer <token>` (RFC 6750 §2.1), replacing any
    /// earlier `Authorization`; sensitive, and dropped across origins, as
    /// [`basic_auth`](Self::basic_auth).
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.get("https://example.com/").bearer_auth("t0k3n").build()?;
    /// assert_eq!(request.headers()["authorization"], "Bearer t0k3n");
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn bearer_auth<T: std::fmt::Display>(self, token: T) -> Self {
        self.authorization(format!("Bearer {token}"))
    }

    fn authorization(mut self, value: String) -> Self {
        match HeaderValue::from_str(&value) {
            Ok(mut value) => {
                value.set_sensitive(true);
                self.headers.insert(http::header::AUTHORIZATION, value);
            }
            Err(e) => {
                self.error
                    .get_or_insert(Error::builder("invalid credentials for Authorization").with_source(e));
            }
        }
        self
    }

    /// Sets the body: anything that converts into a [`Body`], bytes and
    /// strings or a stream from [`Body::wrap`]. Empty by default.
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.post("https://example.com/blobs").body(vec![1u8, 2, 3]).build()?;
    /// assert_eq!(request.body().size_hint(), Some(3));
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// A deadline for this request, from its start to the end of its
    /// response body, retries and back-off included. It replaces the client's
    /// [`timeout`](crate::ClientBuilder::timeout) for this request.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/quote").timeout(Duration::from_secs(2)).send().await?;
    /// println!("{}", resp.status());
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, d: Duration) -> Self {
        self.options.timeout = Some(d);
        self
    }

    /// Per-request limits in httpx's four parts ([`Timeouts`](crate::Timeouts)):
    /// connect, read (head and body), write (a streaming body) and pool.
    /// Each `None` leaves the client's setting. A timeout error says which
    /// limit ran out ([`Error::timeout_kind`](crate::Error::timeout_kind)).
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let limits = baton::Timeouts { read: Some(Duration::from_secs(5)), ..Default::default() };
    /// let resp = client.get("https://example.com/slow").timeouts(limits).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn timeouts(mut self, timeouts: crate::Timeouts) -> Self {
        self.options.timeouts = timeouts;
        self
    }

    /// Declares the request safe (or unsafe) to repeat when its outcome is
    /// unknown, overriding the method's RFC 9110 §9.2.2 default and any
    /// `Idempotency-Key` header. Requests the server provably did not
    /// process are retried either way.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// // This POST only reads: safe to retry once when its outcome is unknown.
    /// let resp = client.post("https://example.com/search").body("q=baton").idempotent(true).send().await?;
    /// // This DELETE triggers a notification: never guess.
    /// let resp = client.delete("https://example.com/subscriptions/9").idempotent(false).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options.idempotent = Some(idempotent);
        self
    }

    /// The request as an `http::Request`, without sending it: the way to
    /// check input (URL, headers) before any I/O, or to send it later with
    /// [`Client::execute`](crate::Client::execute). The [`timeout`](Self::timeout) and
    /// [`idempotent`](Self::idempotent) options are not part of an
    /// `http::Request` and are dropped.
    ///
    /// # Errors
    /// An [`Error::is_builder`] error: the URL first (not absolute, or not
    /// `http`/`https`), then the first bad header.
    ///
    /// ```
    /// let client = baton::Client::new();
    /// let request = client.get("https://example.com/").build()?;
    /// assert_eq!(request.uri().host(), Some("example.com"));
    /// let err = client.get("ftp://example.com/").build().unwrap_err();
    /// assert!(err.is_builder());
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn build(self) -> Result<http::Request<Body>, Error> {
        self.split().1.map(|(request, _)| request)
    }

    #[allow(clippy::type_complexity)]
    fn split(self) -> (Arc<Core>, Result<(http::Request<Body>, Origin), Error>, RequestOptions) {
        let request = match (self.error, self.target) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok((uri, origin))) => {
                let mut request = http::Request::new(self.body);
                *request.method_mut() = self.method;
                *request.uri_mut() = uri;
                *request.headers_mut() = self.headers;
                Ok((request, origin))
            }
        };
        (self.core, request, self.options)
    }

    /// Sends the request, retrying as the client's
    /// [`RetryPolicy`](crate::RetryPolicy) allows, and returns once the
    /// response head has arrived; the body is read from the [`Response`].
    /// A 4xx or 5xx status is a response, not an error.
    ///
    /// # Errors
    /// Builder errors (bad URL, bad header) before any I/O; otherwise see
    /// [`Error`]: every failure carries its verdict and attempts.
    ///
    /// # Cancellation
    /// Dropping the future abandons the request: an HTTP/2 stream is reset
    /// (CANCEL), an HTTP/1.1 connection is closed. The server may already
    /// have acted on it.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// if !resp.status().is_success() {
    ///     println!("server said {}", resp.status());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn send(self) -> impl Future<Output = Result<Response, Error>> + Send + 'static + use<> {
        let (core, request, options) = self.split();
        let (request, origin) = match request {
            Ok((request, origin)) => (Ok(request), Some(origin)),
            Err(e) => (Err(e), None),
        };
        execute::execute(core, request, origin, options)
    }
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("uri", &self.target.as_ref().ok().map(|(uri, _)| uri))
            .finish()
    }
}

/// A header checked for what `http` accepts: the builder's errors.
fn header_pair(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), Error> {
    let n = HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| Error::builder(format!("invalid header name {name:?}")).with_source(e))?;
    let v = HeaderValue::from_str(value)
        .map_err(|e| Error::builder(format!("invalid value for header {name}")).with_source(e))?;
    Ok((n, v))
}
