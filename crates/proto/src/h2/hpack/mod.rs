//! HPACK: header compression for HTTP/2 (RFC 7541).
//!
//! - [`Decoder`] turns header blocks from the peer into [`Header`]s, zero-copy
//!   where the wire allows, and enforces our table size and header list
//!   limits.
//! - [`Encoder`] turns [`HeaderRef`]s into header blocks for the peer.
//!
//! Each side owns one dynamic table per connection; blocks must be decoded
//! (and sent) in connection order. Framing blocks into HEADERS/CONTINUATION
//! frames is [`super::frame`]'s job.

mod decoder;
mod encoder;
mod encoder_table;
mod error;
mod hash;
mod header;
mod huffman;
mod huffman_code;
mod integer;
mod recent;
#[cfg(test)]
mod rfc_examples;
mod static_table;
mod table;

pub use decoder::{DEFAULT_MAX_HEADER_LIST_SIZE, Decoder};
pub use encoder::Encoder;
pub use error::DecodeError;
pub use header::{Header, HeaderRef};

/// The dynamic table size both ends start with (RFC 9113 §6.5.2: the
/// initial SETTINGS_HEADER_TABLE_SIZE).
const DEFAULT_TABLE_SIZE: usize = 4096;
