//! GOAWAY frames (RFC 9113 §6.8).

use bytes::{BufMut, Bytes, BytesMut};

use super::head::{FrameType, put_head};
use super::{Reason, StreamId};

/// A GOAWAY frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoAway {
    /// The highest-numbered stream the sender might have processed. Zero is
    /// a real value: nothing was processed.
    pub last_stream_id: StreamId,
    /// Why the connection is closing.
    pub error_code: Reason,
    /// Additional Debug Data, opaque.
    pub debug_data: Bytes,
}

impl GoAway {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        put_head(dst, 8 + self.debug_data.len(), FrameType::GOAWAY, 0, StreamId::ZERO);
        dst.put_u32(self.last_stream_id.value());
        dst.put_u32(self.error_code.code());
        dst.put_slice(&self.debug_data);
    }
}
