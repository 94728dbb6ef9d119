//! HTTP/1.1 (RFC 9112): request encoder, response decoder and the client
//! connection, sans-IO.
//!
//! - [`Connection`]: one request at a time on one connection, with the
//!   journal ([`Phase`](crate::Phase), [`Processing`](crate::Processing)) the
//!   retry policy reads and the keep-alive decision the pool reads.
//! - [`ResponseDecoder`]: the response decoder on its own (heads with
//!   httparse, body framing per RFC 9112 §6.3, chunked coding per §7.1),
//!   for tools, fuzzing and benchmarks.
//!
//! What this module does not do: pipelining (RFC 9112 §9.3.2), protocol
//! upgrades (a `101 Switching Protocols` is an error), `CONNECT` and the
//! absolute-form of the request target, waiting for `100 Continue` (the
//! caller may hold its body until [`Event::InformationalReceived`]), and
//! content codings (a `Transfer-Encoding: gzip, chunked` body is delivered
//! de-chunked but still gzip-coded, with the header there to say so).

mod body;
mod body_item;
mod chunked;
mod config;
mod conn;
mod decoder;
mod encode;
mod error;
mod event;
mod framing;
mod head_facts;
mod keep_alive;
mod response;

pub use config::Config;
pub use conn::{Connection, ConnectionState};
pub use decoder::{Decoded, ResponseDecoder};
pub use error::{CloseCause, RequestFailure, ResponseError, SendError};
pub use event::Event;
pub use framing::BodyKind;
pub use response::ResponseHead;
