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

impl<B> tower_service::Service<http::Request<B>> for Client
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send>>;

    /// Always ready: the pool queues internally.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    /// Sends the request. The body is read as a stream; up to the retry
    /// policy's replay buffer of it is kept so it can be sent again.
    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let client = self.clone();
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Body::wrap(body));
        Box::pin(async move { client.execute(request).await })
    }
}
