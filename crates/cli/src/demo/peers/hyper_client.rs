//! The scenario mix through hyper-util's legacy client (`client-legacy`):
//! HTTP/2 prior knowledge over h2c with `http2_only`, or HTTP/1.1.

use std::convert::Infallible;

use baton_lab::REQUEST_ID_HEADER;
use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::{bounded, chain};
use crate::demo::cases::Case;
use crate::demo::drive::{Outcome, drive};
use crate::demo::mix::{OneShot, Req};

type HyperClient = Client<HttpConnector, BoxBody<Bytes, Infallible>>;

/// Sends `case`'s requests to `url`, one client for the whole run.
pub(super) async fn run(case: &Case, url: &str) -> Vec<Outcome<String>> {
    let client: HyperClient = Client::builder(TokioExecutor::new()).http2_only(!case.http1).build_http();
    drive(case, url, |req| bounded(send(client.clone(), req))).await
}

async fn send(client: HyperClient, req: Req) -> Result<usize, String> {
    let body = match req.payload.bytes() {
        Some(bytes) => Full::new(bytes).boxed(),
        None => BoxBody::new(OneShot::new()),
    };
    let request = http::Request::builder()
        .method(req.method)
        .uri(&req.url)
        .header(REQUEST_ID_HEADER, &req.id)
        .body(body)
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| chain(&e))?;
    response.into_body().collect().await.map_err(|e| chain(&e))?;
    Ok(1)
}

/// One client for `baton demo --blackhole`: h2c prior knowledge, or
/// HTTP/1.1, with the legacy client's defaults.
pub(super) fn sender(http1: bool) -> crate::demo::blackhole::Sender {
    let client: HyperClient = Client::builder(TokioExecutor::new()).http2_only(!http1).build_http();
    std::sync::Arc::new(move |method: http::Method, url: String| {
        let client = client.clone();
        Box::pin(async move {
            let body = if method == http::Method::POST {
                Full::new(Bytes::from_static(b"post")).boxed()
            } else {
                Full::new(Bytes::new()).boxed()
            };
            let request =
                http::Request::builder().method(method).uri(&url).body(body).map_err(|e| e.to_string())?;
            let response = client.request(request).await.map_err(|e| chain(&e))?;
            let status = response.status().as_u16();
            response.into_body().collect().await.map_err(|e| chain(&e))?;
            Ok(status.to_string())
        }) as crate::demo::blackhole::Sent
    })
}
