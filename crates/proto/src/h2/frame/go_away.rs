//! GOAWAY frames (RFC 9113 §6.8).

use bytes::{BufMut, Bytes, BytesMut};

use super::head::{FrameType, put_head};
use super::{Reason, StreamId};

/// A GOAWAY frame (RFC 9113 §6.8), sent or received: the one GOAWAY value
/// every layer passes on (events, stream failures, the client's journal).
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
    /// NO_ERROR: the server is rotating the connection or shutting down
    /// (RFC 9113 §6.8: a graceful shutdown may first send last_stream_id
    /// 2^31-1, then the real value), not complaining.
    pub fn is_graceful_shutdown(&self) -> bool {
        self.error_code == Reason::NO_ERROR
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        put_head(dst, 8 + self.debug_data.len(), FrameType::GOAWAY, 0, StreamId::ZERO);
        dst.put_u32(self.last_stream_id.value());
        dst.put_u32(self.error_code.code());
        dst.put_slice(&self.debug_data);
    }
}
