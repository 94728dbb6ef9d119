//! The baton lab: a fault-injection HTTP/2 and HTTP/1.1 server that replays
//! how real servers shut connections (DESIGN.md §7), on baton's own frame
//! codec and HPACK.
//!
//! - [`Lab`] serves one [`Scenario`] on 127.0.0.1, plaintext (HTTP/2 prior
//!   knowledge or HTTP/1.1, told apart by the preface) or TLS with ALPN.
//! - [`routes`] are what tests and benchmarks ask for: fixed bodies, echo,
//!   delays, paced streams, trailers, large headers.
//! - The [`Ledger`] counts what was processed per `x-request-id`, so a test
//!   can prove that no request was processed twice.
//! - [`proxy`] is a TCP fault proxy: latency with jitter, bandwidth caps,
//!   resets, FINs, blackholes and pauses between a client and a server.
//! - [`proxies`] starts real proxies from the system's packages
//!   (tinyproxy, microsocks) for the client's proxy tests.
//! - [`script`] is a frame-level DSL for tests that need a server to send
//!   exactly these frames in exactly this order, malformed ones included.
//!
//! The lab is correct HTTP/2 when well behaved and misbehaves only where a
//! scenario says so. It is a test tool: it binds where it is told, trusts its
//! clients with memory, and generates a throwaway TLS certificate.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod coding;
mod context;
mod h1;
mod h2;
mod help;
pub mod ledger;
pub mod nginx;
pub mod proxies;
pub mod proxy;
pub mod routes;
pub mod scenario;
pub mod script;
mod server;
pub mod tls;

pub use help::scenarios_and_routes;
pub use ledger::{Ledger, LedgerStats, REQUEST_ID_HEADER};
pub use scenario::{DisconnectPoint, SCENARIOS, Scenario};
pub use server::{Lab, LabOptions, parse_params, serve_until_ctrl_c};
