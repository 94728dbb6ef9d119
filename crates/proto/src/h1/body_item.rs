//! What a body decoder yields, step by step: shared by the decoder of each
//! framing (`body.rs`) and the chunked coding's (`chunked.rs`).

use bytes::Bytes;
use http::HeaderMap;

/// One step of a body.
#[derive(Debug)]
pub(crate) enum BodyItem {
    /// Body bytes, never empty, sharing the read buffer's memory.
    Data(Bytes),
    /// The trailer section of a chunked body.
    Trailers(HeaderMap),
    /// The body is complete.
    End,
}
