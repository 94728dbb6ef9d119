//! The scenario mix through reqwest (default features off, `http2`):
//! `http2_prior_knowledge()` over h2c, or `http1_only()`; its default retry
//! policy (protocol NACKs) left on, as a user would have it.

use baton_lab::REQUEST_ID_HEADER;

use super::{bounded, chain};
use crate::demo::cases::Case;
use crate::demo::drive::{Outcome, drive};
use crate::demo::mix::{OneShot, Payload, Req};

/// Sends `case`'s requests to `url`, one client for the whole run.
pub(super) async fn run(case: &Case, url: &str) -> Result<Vec<Outcome<String>>, String> {
    let builder = reqwest::Client::builder().no_proxy();
    let builder = if case.http1 { builder.http1_only() } else { builder.http2_prior_knowledge() };
    let client = builder.build().map_err(|e| chain(&e))?;
    Ok(drive(case, url, |req| bounded(send(client.clone(), req))).await)
}

async fn send(client: reqwest::Client, req: Req) -> Result<usize, String> {
    let mut request = client.request(req.method, &req.url).header(REQUEST_ID_HEADER, &req.id);
    request = match req.payload {
        Payload::None => request,
        Payload::OneShot => request.body(reqwest::Body::wrap(OneShot::new())),
        other => request.body(other.bytes().unwrap_or_default()),
    };
    let response = request.send().await.map_err(|e| chain(&e))?;
    response.bytes().await.map_err(|e| chain(&e))?;
    Ok(1)
}

/// One client for `baton demo --blackhole`: h2c prior knowledge, or
/// HTTP/1.1, with reqwest's defaults (TCP keep-alive 15 s among them).
pub(super) fn sender(http1: bool) -> Result<crate::demo::blackhole::Sender, String> {
    let builder = reqwest::Client::builder().no_proxy();
    let builder = if http1 { builder.http1_only() } else { builder.http2_prior_knowledge() };
    let client = builder.build().map_err(|e| chain(&e))?;
    Ok(std::sync::Arc::new(move |method: http::Method, url: String| {
        let client = client.clone();
        Box::pin(async move {
            let mut request = client.request(method.clone(), &url);
            if method == http::Method::POST {
                request = request.body("post");
            }
            let response = request.send().await.map_err(|e| chain(&e))?;
            let status = response.status().as_u16();
            response.bytes().await.map_err(|e| chain(&e))?;
            Ok(status.to_string())
        }) as crate::demo::blackhole::Sent
    }))
}
