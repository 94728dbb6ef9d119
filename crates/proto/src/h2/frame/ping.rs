//! PING frames (RFC 9113 §6.7).

use bytes::{BufMut, BytesMut};

use super::StreamId;
use super::head::{FrameType, flags, put_head};

/// A PING frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    /// ACK flag.
    pub ack: bool,
    /// Opaque Data, echoed in the ACK.
    pub payload: [u8; 8],
}

impl Ping {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let f = if self.ack { flags::ACK } else { 0 };
        put_head(dst, 8, FrameType::PING, f, StreamId::ZERO);
        dst.put_slice(&self.payload);
    }
}
