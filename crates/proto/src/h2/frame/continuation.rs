//! CONTINUATION frames (RFC 9113 §6.10).

use bytes::{BufMut, Bytes, BytesMut};

use super::StreamId;
use super::head::{FrameType, flags, put_head};

/// A CONTINUATION frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// The stream whose field block continues.
    pub stream_id: StreamId,
    /// END_HEADERS flag.
    pub end_headers: bool,
    /// Field-block fragment.
    pub fragment: Bytes,
}

impl Continuation {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let f = if self.end_headers { flags::END_HEADERS } else { 0 };
        put_head(dst, self.fragment.len(), FrameType::CONTINUATION, f, self.stream_id);
        dst.put_slice(&self.fragment);
    }
}
