//! Test support for baton, in the manner of rustls-test and h2's
//! `tests/h2-support`: what every test that plays an HTTP/2 server against
//! baton's client needs, written once.
//!
//! - [`frames`]: one short call per frame a server sends
//!   (`frames::go_away(1, Reason::NO_ERROR)`), malformed frames as raw
//!   bytes (`frames::raw(0x6, 0, 0, &[0; 7])`), floods and HPACK bombs.
//! - [`Peer`]: the server end of a connection, sans-IO: it takes the
//!   client's preface and frames, decodes its field blocks, and encodes
//!   HEADERS with the server's HPACK context.
//! - [`FieldBlocks`]: HEADERS + CONTINUATION joined into blocks, with RFC
//!   9113 §6.10 checked.
//! - [`Pair`]: a client [`Connection`](baton_proto::h2::Connection) and a
//!   [`Peer`] on a simulated wire, with a simulated clock and knobs for
//!   fragmented and truncated writes.
//!
//! Used by baton-proto's connection tests (`crates/proto/tests/connection`),
//! the fuzz targets, and baton-lab's frame-script DSL, which drives a
//! [`Peer`] over TCP.
//!
//! What it does not do: it is not a conforming server. It decodes the
//! client's bytes with the same codec as the client under test
//! ([`baton_proto::h2::frame`], [`baton_proto::h2::hpack`]); a bug shared by
//! both would not show through it. Its helpers panic on what they cannot
//! take, as test support may.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod blocks;
pub mod frames;
mod harness;
mod peer;

pub use blocks::{BlockError, FieldBlock, FieldBlocks};
pub use harness::{Pair, ended, failure_of, sid};
pub use peer::Peer;
