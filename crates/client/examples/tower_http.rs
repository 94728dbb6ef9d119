//! A baton client inside a tower-http stack, as a reqwest user would build
//! one around hyper: `FollowRedirect` (with a policy that replays in-memory
//! bodies), `Decompression`, `Trace` and `Timeout`, around
//! `baton::Client`'s `tower::Service` (requests of any `http_body::Body`,
//! responses of `baton::Incoming`). baton's own redirects and decoding are
//! off, so the layers do that work; its retries stay on underneath them.
//!
//! Against the in-process lab: a redirected POST whose target rotates its
//! connections like nginx, a gzip-compressed body, and a route slower than
//! the timeout. Run with `cargo run -p baton --example tower_http`.

use std::time::Duration;

use baton_lab::{Lab, LabOptions, Scenario};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::{Service, ServiceBuilder, ServiceExt};
use tower_http::decompression::DecompressionLayer;
use tower_http::follow_redirect::FollowRedirectLayer;
use tower_http::follow_redirect::policy::{Limited, PolicyExt, clone_body_fn};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // nginx's keepalive_requests 5: GOAWAY every fifth stream.
    let lab = Lab::start(LabOptions::new(Scenario::NginxRotate { requests: 5 })).await?;

    let client = baton::Client::builder()
        .http2_prior_knowledge()
        .redirect(baton::redirect::Policy::none())
        .no_gzip()
        .no_brotli()
        .no_zstd()
        .no_deflate()
        .build()?;
    // tower-http sends a 307's body again only when its policy can clone
    // it: a baton::Body in memory can.
    let redirects = Limited::new(5).and::<_, _, ()>(clone_body_fn(|body: &baton::Body| body.try_clone()));
    let mut stack = ServiceBuilder::new()
        .layer(TraceLayer::new_for_http())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(1)))
        .layer(FollowRedirectLayer::with_policy(redirects))
        .layer(DecompressionLayer::new())
        .service(client.clone());

    // 60 redirected POSTs at once: the streams above each GOAWAY's
    // last_stream_id are retried by baton, below the layers, which never
    // see a failure.
    let mut tasks = Vec::new();
    for i in 0..60 {
        let mut stack = stack.clone();
        let request = Request::post(lab.url("/redirect/307/echo"))
            .header("x-request-id", format!("order-{i}"))
            .body(baton::Body::from(format!("order {i}")))?;
        tasks.push(tokio::spawn(async move {
            let resp = stack.ready().await?.call(request).await?;
            // Decompression changed the body's type; the journal of the
            // last hop is still in the extensions, where baton put it.
            let attempts = resp.extensions().get::<baton::Journal>().map_or(0, |j| j.attempts().len());
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((body, attempts))
        }));
    }
    let (mut answered, mut retried) = (0, 0);
    for (i, task) in tasks.into_iter().enumerate() {
        let (body, attempts) = task.await??;
        assert_eq!(body, format!("order {i}"));
        answered += 1;
        retried += usize::from(attempts > 1);
    }
    println!("{answered} redirected POSTs answered, {retried} with a retry in their last hop's journal");

    let resp = stack
        .ready()
        .await?
        .call(Request::get(lab.url("/text/100000?encoding=gzip")).body(baton::Body::empty())?)
        .await?;
    let encoded = resp.headers().contains_key("content-encoding");
    let body = resp.into_body().collect().await?.to_bytes();
    println!("gzip: {} bytes decoded by the layer (content-encoding left: {encoded})", body.len());

    let resp =
        stack.ready().await?.call(Request::get(lab.url("/delay/5000")).body(baton::Body::empty())?).await?;
    println!("slow route: {}", resp.status());

    let stats = client.stats();
    println!(
        "baton underneath: {} requests, {} GOAWAYs, retries {:?}, nothing processed twice: {}",
        stats.requests,
        stats.go_aways_total(),
        stats.retries,
        lab.ledger().duplicates().is_empty()
    );
    lab.stop().await;
    Ok(())
}
