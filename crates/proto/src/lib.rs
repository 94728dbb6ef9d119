//! Sans-IO HTTP/2 engine for baton.
//!
//! This crate turns bytes and `now: Instant` values into bytes, events and
//! timeouts. It never touches a socket, never reads a clock, and never spawns a
//! task: the `baton` client crate drives it from a tokio task, the lab server and
//! the tests drive it directly.
//!
//! What lives here:
//! - [`h2::frame`]: the HTTP/2 frame codec (RFC 9113 §4, §6),
//! - [`h2::hpack`]: HPACK header compression (RFC 7541),
//! - [`h2::Connection`]: the client connection state machine, with the per-stream
//!   journal ([`Phase`], [`Processing`]) that the retry policy reads.
//!
//! What does not: I/O, TLS, DNS, pooling, retries, timers that fire by
//! themselves. Those belong to the `baton` crate.
//!
//! The `serde` cargo feature (off by default) implements `serde::Serialize`
//! and `serde::Deserialize` for [`Phase`], [`Processing`] and the GOAWAY
//! account ([`h2::GoAway`], [`h2::frame::StreamId`], [`h2::frame::Reason`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod authority;
mod content_length;
mod field_list;
pub mod h1;
pub mod h2;
mod journal;
mod known_fields;
pub mod spare_headers;
mod transmit;

pub use journal::{Phase, Processing};
