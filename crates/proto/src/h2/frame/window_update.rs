//! WINDOW_UPDATE frames (RFC 9113 §6.9).

use bytes::{BufMut, BytesMut};

use super::StreamId;
use super::head::{FrameType, put_head};

/// A WINDOW_UPDATE frame. Stream zero updates the connection window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUpdate {
    /// The stream, or zero for the connection.
    pub stream_id: StreamId,
    /// Window Size Increment (31 bits, never zero on the wire when valid).
    pub increment: u32,
}

impl WindowUpdate {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        put_head(dst, 4, FrameType::WINDOW_UPDATE, 0, self.stream_id);
        dst.put_u32(self.increment & 0x7fff_ffff);
    }
}
