//! tonic over baton: a generated gRPC client (tonic-health's
//! `HealthClient`) with a `baton::Client` as its transport instead of
//! tonic's `Channel`.
//!
//! ```text
//! cargo run -p baton-interop --example tonic -- http://127.0.0.1:50051
//! ```
//!
//! The switch is two lines: build a `baton::Client` (HTTP/2 prior knowledge
//! for `http://`; `https://` negotiates h2 by ALPN), and hand it to the
//! generated client's `with_origin` with the server's URL. Every call shape
//! works; a call the server provably did not process (GOAWAY, refused
//! stream) is retried, and one that may have been processed only when
//! marked `baton::Idempotent`. A transport failure reaches tonic as a
//! `Status` whose source is the `baton::Error`, with its verdict and journal.

use std::time::Duration;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:50051".to_owned());

    // Instead of `Channel::from_shared(url)?.connect().await?`:
    let transport = baton::Client::builder().http2_prior_knowledge().build()?;
    let mut health = HealthClient::with_origin(transport, url.parse()?);

    let mut request = tonic::Request::new(HealthCheckRequest { service: String::new() });
    // Sent as `grpc-timeout`, which baton enforces too.
    request.set_timeout(Duration::from_secs(5));
    // Health checks are safe to repeat: retry even when the outcome is unknown.
    request.extensions_mut().insert(baton::Idempotent(true));

    match health.check(request).await {
        Ok(response) => {
            let attempts = response.extensions().get::<baton::Journal>().map_or(0, |j| j.attempts().len());
            println!("{:?} after {attempts} attempt(s)", response.into_inner().status());
        }
        Err(status) => {
            let failure = std::error::Error::source(&status).and_then(|e| e.downcast_ref::<baton::Error>());
            match failure {
                Some(e) => {
                    println!("{:?}: transport failed, verdict {:?}: {e}", status.code(), e.processing())
                }
                None => println!("{:?}: {}", status.code(), status.message()),
            }
        }
    }
    Ok(())
}
