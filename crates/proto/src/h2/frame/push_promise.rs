//! PUSH_PROMISE frames (RFC 9113 §6.6). baton sends SETTINGS_ENABLE_PUSH=0,
//! so a client treats any PUSH_PROMISE as a PROTOCOL_ERROR; the type exists
//! so the frame can be decoded, named in that error, and sent by the lab.

use bytes::{BufMut, Bytes, BytesMut};

use super::StreamId;
use super::head::{FrameType, flags, put_head};

/// A PUSH_PROMISE frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPromise {
    /// The associated (client-initiated) stream.
    pub stream_id: StreamId,
    /// The stream the server promises to open.
    pub promised_id: StreamId,
    /// END_HEADERS flag.
    pub end_headers: bool,
    /// Pad Length when the PADDED flag is set.
    pub pad_len: Option<u8>,
    /// Field-block fragment.
    pub fragment: Bytes,
}

impl PushPromise {
    /// Appends the frame to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut f = if self.end_headers { flags::END_HEADERS } else { 0 };
        let mut len = 4 + self.fragment.len();
        if let Some(pad) = self.pad_len {
            f |= flags::PADDED;
            len += usize::from(pad) + 1;
        }
        put_head(dst, len, FrameType::PUSH_PROMISE, f, self.stream_id);
        if let Some(pad) = self.pad_len {
            dst.put_u8(pad);
        }
        dst.put_u32(self.promised_id.value());
        dst.put_slice(&self.fragment);
        if let Some(pad) = self.pad_len {
            dst.put_bytes(0, usize::from(pad));
        }
    }
}
