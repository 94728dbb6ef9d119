//! baton: an HTTP client that gets connection shutdown right.
//!
//! A server rotating or closing a connection never costs the caller a
//! request that was safe to send again, and when a retry would not be safe,
//! the error says exactly how far the request got.
//!
//! - Requests the server provably did not process (stream above a GOAWAY's
//!   last_stream_id, REFUSED_STREAM, never sent) are retried on a fresh
//!   connection, whatever the method.
//! - Idempotent requests are retried once when the outcome is unknown; other
//!   requests never are.
//! - Every failure carries its verdict ([`Processing`]), the GOAWAY account
//!   ([`ConnectionGoingAway`]) and the journal of every [`Attempt`].
//!
//! ```no_run
//! # async fn run() -> Result<(), baton::Error> {
//! let client = baton::Client::new();
//! let resp = client.get("https://example.com/").send().await?;
//! let body = resp.bytes().await?;
//! # Ok(()) }
//! ```
//!
//! When a request fails anyway, the error says whether sending it again is
//! safe:
//!
//! ```no_run
//! # async fn run(client: baton::Client) -> Result<(), baton::Error> {
//! if let Err(e) = client.post("https://example.com/orders").body("{}").send().await {
//!     let safe = e.processing().is_some_and(|p| p.is_safe_to_retry());
//!     println!("{e}; safe to send again: {safe}");
//!     for attempt in e.attempts() {
//!         println!("  {attempt}");
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The entry points: [`Client`] and [`ClientBuilder`]; [`RequestBuilder`]
//! and [`Body`] for requests; [`Response`] and its body as an
//! `http_body::Body`, [`Incoming`]; [`Error`] with its [`Processing`]
//! verdict, [`ConnectionGoingAway`] and [`Attempt`] journal ([`Journal`]
//! on a response); [`RetryPolicy`]; [`redirect::Policy`]; [`Stats`]. The
//! wire values they carry ([`GoAway`], [`StreamId`], [`Reason`],
//! [`Violation`]) and [`Http2Config`] are re-exported from `baton-proto`, so
//! users need no other dependency.
//!
//! A `Client` is also a `tower::Service` from `http::Request<B>` (any
//! `http_body::Body`) to `http::Response<Incoming>`, so tower-http's layers
//! (`FollowRedirect`, `Decompression`, `Trace`, `Timeout`...) wrap it as it
//! is; `examples/tower_http.rs` builds such a stack.
//!
//! Redirects are followed as reqwest does by default: up to 10, with RFC
//! 9110 §15.4's method and body rules and no credentials across origins
//! ([`redirect`] has them all); every hop is in the journal, and a hop
//! that meets a GOAWAY is retried like any request.
//!
//! A request with an `Expect: 100-continue` header sends its head and holds
//! its body until the server says `100 (Continue)` or answers with a final
//! status, for at most one second (RFC 9110 §10.1.1). A 2xx lets the body
//! go; any other final status means it is never sent, and a 417
//! (Expectation Failed) has the request repeated without the expectation
//! (within the retry policy's attempt limit). Over HTTP/2, once a server
//! let one such wait run out (nginx, h2o and hyper do not answer the
//! expectation there), later bodies to that origin go at once, on every
//! connection, until a `100 (Continue)` from it shows it does answer.
//!
//! Connections go through proxies ([`Proxy`]: HTTP forward, CONNECT
//! tunnels, HTTPS and SOCKS5 proxies; the proxy environment variables as
//! curl reads them), to any address a [`dns::Resolve`] or
//! [`ClientBuilder::resolve`] gives, raced as RFC 8305's happy eyeballs, or
//! to a Unix socket ([`ClientBuilder::unix_socket`]).
//!
//! What this crate does not do: cookies, HTTP/1.1 pipelining, HTTP/3,
//! SOCKS4.
//!
//! Cargo features, all off by default:
//! - `gzip`, `deflate`, `brotli`, `zstd`: response decompression (on
//!   async-compression), as in reqwest: each asks for its coding in
//!   `Accept-Encoding` and decodes responses that use it, unless the builder
//!   turns it off ([`ClientBuilder::no_gzip`] and its siblings exist without
//!   the features too).
//! - `hickory-dns`: names resolved with hickory-resolver (its own cache,
//!   no blocking thread per lookup) instead of the system's `getaddrinfo`;
//!   `ClientBuilder::hickory_dns(false)` turns it back off. A resolver of your own
//!   implements [`dns::Resolve`].
//! - `serde`: the journal and the counters machine-readable: [`Attempt`],
//!   [`Stats`] and what they hold ([`Phase`], [`Processing`], [`RetryReason`],
//!   [`GoAway`]) implement `serde::Serialize` and `serde::Deserialize`.
//! - `json`: `RequestBuilder::json` and `Response::json` (serde_json);
//!   `form`: `RequestBuilder::form`; `query`: `RequestBuilder::query`
//!   (both serde_urlencoded), as reqwest's features of those names.
//! - `aws-lc-rs`: `tls::CryptoProvider::AwsLcRs`, rustls on aws-lc-rs
//!   instead of ring (which stays the default; it needs a C compiler).
//! - `platform-verifier`: `ClientBuilder::tls_platform_verifier`, server
//!   certificates verified as the operating system does.
//!
//! TLS is rustls: trusted roots from DER or PEM, a client certificate for
//! mutual TLS ([`Identity`]), version bounds ([`tls::Version`]), SNI and
//! fixed addresses ([`ClientBuilder::resolve`]). A server that rejects the
//! client certificate fails the request with [`Error::is_tls`] and the
//! alert's name, and it is not retried.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod client;
mod conn;
mod connect;
mod decompress;
pub mod dns;
mod error;
mod execute;
mod failure;
mod going_away;
mod grpc;
mod happy_eyeballs;
mod incoming;
mod into_url;
mod journal;
mod origin;
mod pem;
mod pool;
mod proxy;
pub mod redirect;
mod request;
mod response;
mod retry;
#[cfg(any(feature = "json", feature = "form", feature = "query"))]
mod serde_body;
#[cfg(feature = "serde")]
mod serde_http;
mod service;
mod settings_wait;
mod spread;
mod stats;
mod tcp_keepalive;
mod timeouts;
pub mod tls;
mod tls_io;

pub use body::{Body, DEFAULT_REPLAY_BUFFER};
pub use client::{Client, ClientBuilder};
pub use error::Error;
pub use going_away::ConnectionGoingAway;
pub use grpc::Idempotent;
pub use incoming::Incoming;
pub use into_url::IntoUrl;
pub use journal::{Attempt, Journal, Phase, Processing, RetryReason};
pub use proxy::{NoProxy, Proxy};
pub use redirect::Policy as RedirectPolicy;
pub use request::RequestBuilder;
pub use response::Response;
pub use retry::RetryPolicy;
pub use settings_wait::SettingsWait;
pub use spread::Spread;
pub use stats::Stats;
pub use timeouts::{TimeoutKind, Timeouts};
pub use tls::Identity;

/// HTTP/2 settings and limits for [`ClientBuilder::http2_config`], from
/// `baton-proto`: start from `Http2Config::default()` and set the fields to
/// change.
pub use baton_proto::h2::Config as Http2Config;
/// The wire values an [`Attempt`], an [`Error`] and a [`ConnectionGoingAway`]
/// carry, from `baton-proto`: a GOAWAY as received, an HTTP/2 stream id, an
/// error code, and the rule a server broke.
pub use baton_proto::h2::{GoAway, Reason, StreamId, Violation};
