//! `tower::Service` for the client, so middleware stacks can use it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as HttpBody;

use crate::body::Body;
use crate::client::Client;
use crate::error::{BoxError, Error};
use crate::response::Response;

/// A [`Client`] is a `tower::Service`, for middleware stacks (timeouts,
/// rate limits, tracing layers) built on `tower-service`. It takes any
/// `http_body::Body` with `Bytes` data and retries as the client would.
///
/// The body is always read as a stream, through [`Body::wrap`] (even a
/// [`Body`]): its length is unknown, so HTTP/1.1 sends it chunked unless the
/// request has a `Content-Length` header, and only the
/// [replay buffer](crate::RetryPolicy::replay_buffer) of it can be resent.
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
/// let resp = service.call(request).await?;
/// println!("{}", resp.status());
/// # Ok(()) }
/// ```
impl<B> tower_service::Service<http::Request<B>> for Client
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send>>;

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

    /// Sends the request, like [`Client::execute`]. The body is read as a
    /// stream; up to the retry policy's replay buffer of it is kept so it can
    /// be sent again. The future is `Send` and owns a clone of the client.
    ///
    /// # Errors
    /// As [`Client::execute`].
    ///
    /// ```no_run
    /// use tower_service::Service;
    ///
    /// # async fn run(mut client: baton::Client) -> Result<(), baton::Error> {
    /// let request = http::Request::post("https://example.com/events")
    ///     .header("content-length", "2")
    ///     .body(String::from("{}"))
    ///     .unwrap();
    /// let resp = client.call(request).await?;
    /// println!("{}", resp.status());
    /// # Ok(()) }
    /// ```
    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Body::wrap(body));
        Box::pin(self.execute(request))
    }
}
