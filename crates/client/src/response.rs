//! Responses: the head at once, the body read chunk by chunk as the
//! application wants it (each chunk read reopens the flow-control window).

use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode, Version};
use tokio::sync::mpsc;

use crate::conn::{BodyEvent, Release, ResponseParts};
use crate::error::{Error, Kind};
use crate::journal::{Attempt, Processing};

/// A response whose head has arrived.
///
/// The body is read with [`Response::chunk`], [`Response::bytes`] or
/// [`Response::text`]. Dropping a response before its end resets the stream
/// (HTTP/2) so the connection does not keep receiving it.
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    version: Version,
    attempts: Vec<Attempt>,
    body: mpsc::UnboundedReceiver<BodyEvent>,
    release: Box<dyn Release>,
    trailers: Option<HeaderMap>,
    done: bool,
    idle_timeout: Option<Duration>,
}

impl Response {
    pub(crate) fn new(parts: ResponseParts, attempts: Vec<Attempt>, idle_timeout: Option<Duration>) -> Self {
        Self {
            status: parts.status,
            headers: parts.headers,
            version: parts.version,
            attempts,
            body: parts.body,
            release: parts.release,
            trailers: None,
            done: false,
            idle_timeout,
        }
    }

    /// The status code.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// if resp.status() == http::StatusCode::NOT_FOUND { /* ... */ }
    /// # Ok(()) }
    /// ```
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// let kind = resp.headers().get("content-type");
    /// # Ok(()) }
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The HTTP version the response came over.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// println!("spoke {:?}", resp.version());
    /// # Ok(()) }
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// Every attempt the request took, the successful one last. More than
    /// one means baton retried, and each earlier entry says why.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp = client.get("https://example.com/").send().await?;
    /// for attempt in resp.attempts() {
    ///     println!("{attempt}"); // e.g. "connection 3 (HTTP/2.0) stream 201: ...; retried (above GOAWAY last_stream_id)"
    /// }
    /// # Ok(()) }
    /// ```
    pub fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }

    /// The trailers, once the body has been read to its end.
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

    /// The next piece of the body, `None` at its end.
    ///
    /// # Errors
    /// The exchange broke after the head (verdict `ResponseStarted`), or no
    /// byte arrived within the idle read timeout.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let mut resp = client.get("https://example.com/big").send().await?;
    /// let mut total = 0;
    /// while let Some(chunk) = resp.chunk().await? {
    ///     total += chunk.len(); // each chunk read reopens the flow-control window
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if self.done {
            return Ok(None);
        }
        loop {
            let event = match self.idle_timeout {
                Some(t) => match tokio::time::timeout(t, self.body.recv()).await {
                    Ok(e) => e,
                    Err(_) => {
                        self.finish();
                        return Err(Error::new(Kind::Timeout, format!("no response body data for {t:?}"))
                            .with_processing(Processing::ResponseStarted)
                            .with_attempts(self.attempts.clone()));
                    }
                },
                None => self.body.recv().await,
            };
            match event {
                Some(BodyEvent::Data(data)) => {
                    self.release.release(data.len());
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
                    attempts.push(f.attempt);
                    return Err(Error::new(Kind::Decode, message)
                        .with_processing(Processing::ResponseStarted)
                        .with_attempts(attempts));
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

    /// The whole body.
    ///
    /// # Errors
    /// As [`Response::chunk`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let body = client.get("https://example.com/").send().await?.bytes().await?;
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

    /// The whole body as UTF-8 (invalid sequences replaced).
    ///
    /// # Errors
    /// As [`Response::chunk`].
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let html = client.get("https://example.com/").send().await?.text().await?;
    /// # Ok(()) }
    /// ```
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn finish(&mut self) {
        if !self.done {
            self.done = true;
            self.release.cancel();
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
