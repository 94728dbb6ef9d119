//! Frames of unknown type (RFC 9113 §4.1, §5.5): decoded so they can be
//! ignored, and encodable so the lab can send them.

use bytes::{BufMut, Bytes, BytesMut};

use super::StreamId;
use super::head::{FrameType, put_head};

/// A frame whose type this crate does not implement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The frame type byte.
    pub kind: FrameType,
    /// The flags byte.
    pub flags: u8,
    /// The stream.
    pub stream_id: StreamId,
    /// The raw payload.
    pub payload: Bytes,
}

impl Unknown {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        put_head(dst, self.payload.len(), self.kind, self.flags, self.stream_id);
        dst.put_slice(&self.payload);
    }
}
