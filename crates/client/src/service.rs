//! `tower::Service` for the client, so middleware stacks (tower-http's
//! layers among them) can use it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as HttpBody;

use crate::body::Body;
use crate::client::Client;
use crate::error::{BoxError, Error};
use crate::incoming::Incoming;

/// A [`Client`] is a `tower::Service` from `http::Request<B>`, for any
/// `http_body::Body` `B` with `Bytes` data, to `http::Response<`[`Incoming`]`>`,
/// so tower and tower-http middleware (redirects, decompression, tracing,
/// timeouts, rate limits) wraps it as it is. It retries, follows
/// redirects and decodes as the client is configured to.
///
/// - The request body goes through [`Body::from_http`]: a [`Body`] as it
///   is; a body of known length whose bytes are all there at once
///   (`http_body_util::Full`, `String`...) in memory, sent with
///   `Content-Length` and replayable whatever its size; any other stream
///   sent with `Content-Length` when its size hint is exact (chunked over
///   HTTP/1.1 otherwise), replayable while it fits the
///   [replay buffer](crate::RetryPolicy::replay_buffer).
/// - The request's extensions come back in the response's, beside the
///   [`Journal`](crate::Journal) of its attempts.
///
/// ```no_run
/// use tower_service::Service;
///
/// type Request = http::Request<baton::Body>;
///
/// # async fn run() -> Result<(), baton::Error> {
/// let mut service = baton::Client::new();
/// std::future::poll_fn(|cx| Service::<Request>::poll_ready(&mut service, cx)).await?;
/// let request = http::Request::get("https://example.com/").body(baton::Body::empty()).unwrap();
/// let resp: http::Response<baton::Incoming> = service.call(request).await?;
/// println!("{}", resp.status());
/// # Ok(()) }
/// ```
impl<B> tower_service::Service<http::Request<B>> for Client
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Incoming>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<http::Response<Incoming>, Error>> + Send>>;

    /// Always ready: the pool queues requests internally, waiting for a
    /// free HTTP/2 stream when every connection is full.
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// use tower_service::Service;
    ///
    /// let mut service = baton::Client::new();
    /// let mut cx = Context::from_waker(Waker::noop());
    /// let ready = Service::<http::Request<baton::Body>>::poll_ready(&mut service, &mut cx);
    /// assert!(matches!(ready, Poll::Ready(Ok(()))));
    /// ```
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    /// Sends the request, like [`Client::execute`], and returns its response
    /// as an `http::Response<Incoming>`. The future is `Send` and owns a
    /// clone of the client.
    ///
    /// # Errors
    /// As [`Client::execute`].
    ///
    /// ```no_run
    /// use tower_service::Service;
    ///
    /// # async fn run(mut client: baton::Client) -> Result<(), baton::Error> {
    /// // A String is in memory: sent with Content-Length, replayable.
    /// let request = http::Request::post("https://example.com/events").body(String::from("{}")).unwrap();
    /// let resp = client.call(request).await?;
    /// println!("{}", resp.status());
    /// # Ok(()) }
    /// ```
    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Body::from_http(body));
        let response = self.execute(request);
        Box::pin(async move { response.await.map(http::Response::from) })
    }
}
