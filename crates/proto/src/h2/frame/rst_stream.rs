//! RST_STREAM frames (RFC 9113 §6.4).

use bytes::{BufMut, BytesMut};

use super::head::{FrameType, put_head};
use super::{Reason, StreamId};

/// A RST_STREAM frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RstStream {
    /// The stream being reset (never zero: §6.4).
    pub stream_id: StreamId,
    /// Why.
    pub reason: Reason,
}

impl RstStream {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        put_head(dst, 4, FrameType::RST_STREAM, 0, self.stream_id);
        dst.put_u32(self.reason.code());
    }
}
