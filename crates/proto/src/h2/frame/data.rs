//! DATA frames (RFC 9113 §6.1).

use bytes::{BufMut, Bytes, BytesMut};

use super::StreamId;
use super::head::{FrameType, flags, put_head};

/// A DATA frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Data {
    /// The stream (never zero on the wire: §6.1).
    pub stream_id: StreamId,
    /// The payload without padding; a slice of the read buffer when decoded.
    pub data: Bytes,
    /// END_STREAM flag.
    pub end_stream: bool,
    /// Pad Length when the PADDED flag is set. Padding is zeros on encode.
    pub pad_len: Option<u8>,
}

impl Data {
    /// A DATA frame without padding.
    pub fn new(stream_id: StreamId, data: Bytes, end_stream: bool) -> Self {
        Self { stream_id, data, end_stream, pad_len: None }
    }

    /// RFC 9113 §6.1: "The entire DATA frame payload is included in flow
    /// control, including the Pad Length and Padding fields if present."
    pub fn flow_controlled_len(&self) -> u32 {
        let padding = self.pad_len.map_or(0, |p| u32::from(p) + 1);
        self.data.len() as u32 + padding
    }

    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut f = if self.end_stream { flags::END_STREAM } else { 0 };
        if self.pad_len.is_some() {
            f |= flags::PADDED;
        }
        put_head(dst, self.flow_controlled_len() as usize, FrameType::DATA, f, self.stream_id);
        if let Some(pad) = self.pad_len {
            dst.put_u8(pad);
        }
        dst.put_slice(&self.data);
        if let Some(pad) = self.pad_len {
            dst.put_bytes(0, usize::from(pad));
        }
    }

    /// Appends an unpadded DATA frame holding `payload` to `dst` without
    /// building a `Data` value (the send hot path).
    pub fn encode_slice(dst: &mut BytesMut, stream_id: StreamId, payload: &[u8], end_stream: bool) {
        let f = if end_stream { flags::END_STREAM } else { 0 };
        put_head(dst, payload.len(), FrameType::DATA, f, stream_id);
        dst.put_slice(payload);
    }
}
