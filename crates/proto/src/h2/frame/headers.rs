//! HEADERS frames (RFC 9113 §6.2) and field-block splitting.

use bytes::{BufMut, Bytes, BytesMut};

use super::StreamId;
use super::head::{FrameType, flags, put_head};

/// The deprecated priority fields of HEADERS and PRIORITY (RFC 9113 §5.3.2):
/// parsed so the frame can be checked, otherwise ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrioritySpec {
    /// Stream Dependency.
    pub dependency: StreamId,
    /// The E flag.
    pub exclusive: bool,
    /// Weight (0 means weight 1).
    pub weight: u8,
}

impl PrioritySpec {
    pub(crate) fn encode(&self, dst: &mut BytesMut) {
        let mut dep = self.dependency.value();
        if self.exclusive {
            dep |= 1 << 31;
        }
        dst.put_u32(dep);
        dst.put_u8(self.weight);
    }
}

/// A HEADERS frame. `fragment` is the field-block fragment, padding removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Headers {
    /// The stream.
    pub stream_id: StreamId,
    /// END_STREAM flag.
    pub end_stream: bool,
    /// END_HEADERS flag: false means CONTINUATION frames follow.
    pub end_headers: bool,
    /// Priority fields when the PRIORITY flag is set.
    pub priority: Option<PrioritySpec>,
    /// Pad Length when the PADDED flag is set.
    pub pad_len: Option<u8>,
    /// Field-block fragment.
    pub fragment: Bytes,
}

impl Headers {
    /// Appends the frame to `dst` as one frame.
    pub fn encode(&self, dst: &mut BytesMut) {
        let mut f = 0;
        if self.end_stream {
            f |= flags::END_STREAM;
        }
        if self.end_headers {
            f |= flags::END_HEADERS;
        }
        let mut len = self.fragment.len();
        if let Some(pad) = self.pad_len {
            f |= flags::PADDED;
            len += usize::from(pad) + 1;
        }
        if self.priority.is_some() {
            f |= flags::PRIORITY;
            len += 5;
        }
        put_head(dst, len, FrameType::HEADERS, f, self.stream_id);
        if let Some(pad) = self.pad_len {
            dst.put_u8(pad);
        }
        if let Some(p) = &self.priority {
            p.encode(dst);
        }
        dst.put_slice(&self.fragment);
        if let Some(pad) = self.pad_len {
            dst.put_bytes(0, usize::from(pad));
        }
    }
}

/// Appends a field block as one HEADERS frame followed by as many
/// CONTINUATION frames as `max_frame_size` requires (RFC 9113 §4.3: a field
/// block is a contiguous sequence of frames with no other frame interleaved).
/// Returns the number of bytes appended.
pub fn encode_field_block(
    dst: &mut BytesMut,
    stream_id: StreamId,
    block: &[u8],
    end_stream: bool,
    max_frame_size: u32,
) -> usize {
    let start = dst.len();
    let max = (max_frame_size as usize).max(1);
    let (first, mut rest) = block.split_at(block.len().min(max));
    let mut f = if end_stream { flags::END_STREAM } else { 0 };
    if rest.is_empty() {
        f |= flags::END_HEADERS;
    }
    put_head(dst, first.len(), FrameType::HEADERS, f, stream_id);
    dst.put_slice(first);
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(rest.len().min(max));
        let f = if tail.is_empty() { flags::END_HEADERS } else { 0 };
        put_head(dst, chunk.len(), FrameType::CONTINUATION, f, stream_id);
        dst.put_slice(chunk);
        rest = tail;
    }
    dst.len() - start
}
