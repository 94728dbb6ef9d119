//! Building a request: bad input is caught here, before any I/O.

use std::time::Duration;

use http::{HeaderMap, Method, Uri};

use crate::body::Body;
use crate::client::{Client, RequestOptions, header_pair};
use crate::error::Error;
use crate::response::Response;

/// A request being built. Errors in the URL or headers are kept and
/// returned by [`RequestBuilder::send`] before anything is sent.
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
    client: Client,
    method: Method,
    uri: Result<Uri, Error>,
    headers: HeaderMap,
    body: Body,
    options: RequestOptions,
    error: Option<Error>,
}

impl RequestBuilder {
    pub(crate) fn new(client: Client, method: Method, url: &str) -> Self {
        let uri = url
            .parse::<Uri>()
            .map_err(|e| Error::builder(format!("invalid URL {url:?}")).with_source(e))
            .and_then(|uri| {
                crate::connect::Origin::of(&uri)?;
                Ok(uri)
            });
        Self {
            client,
            method,
            uri,
            headers: HeaderMap::new(),
            body: Body::empty(),
            options: RequestOptions::default(),
            error: None,
        }
    }

    /// Adds a header (appended if the name is already present).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").header("accept", "text/html").send().await?;
    /// # Ok(()) }
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

    /// Adds every header of `headers`.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let mut extra = http::HeaderMap::new();
    /// extra.insert("x-trace", http::HeaderValue::from_static("1"));
    /// let resp = client.get("https://example.com/").headers(extra).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        for (name, value) in &headers {
            self.headers.append(name.clone(), value.clone());
        }
        self
    }

    /// Sets the body.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.post("https://example.com/").body(vec![1u8, 2, 3]).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// A deadline for this request, retries included.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").timeout(std::time::Duration::from_secs(2)).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, d: Duration) -> Self {
        self.options.timeout = Some(d);
        self
    }

    /// Declares the request safe (or unsafe) to repeat when its outcome is
    /// unknown, overriding the method's RFC 9110 §9.2.2 default.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// // This POST only reads: safe to retry once when its outcome is unknown.
    /// let resp = client.post("https://example.com/search").body("q=baton").idempotent(true).send().await?;
    /// # Ok(()) }
    /// ```
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.options.idempotent = Some(idempotent);
        self
    }

    /// The request as an `http::Request`, without sending it: the way to
    /// check input (URL, headers) before any I/O, or to send it later with
    /// [`Client::execute`].
    ///
    /// ```
    /// let client = baton::Client::new();
    /// assert!(client.get("https://example.com/").build().is_ok());
    /// let err = client.get("ftp://example.com/").build().unwrap_err();
    /// assert!(err.is_builder());
    /// ```
    ///
    /// # Errors
    /// The first bad URL or header given to the builder.
    pub fn build(self) -> Result<http::Request<Body>, Error> {
        self.split().map(|(_, request, _)| request)
    }

    fn split(self) -> Result<(Client, http::Request<Body>, RequestOptions), Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let uri = self.uri?;
        let mut request = http::Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        Ok((self.client, request, self.options))
    }

    /// Sends the request.
    ///
    /// # Errors
    /// Builder errors (bad URL, bad header) before any I/O; otherwise see
    /// [`Error`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// assert!(resp.status().is_success());
    /// # Ok(()) }
    /// ```
    pub async fn send(self) -> Result<Response, Error> {
        let (client, request, options) = self.split()?;
        client.execute_with(request, options).await
    }
}

impl std::fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("uri", &self.uri.as_ref().ok())
            .finish()
    }
}
