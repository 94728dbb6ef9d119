//! The 9-byte frame header (RFC 9113 §4.1).
//!
//! ```text
//! +-----------------------------------------------+
//! |                 Length (24)                   |
//! +---------------+---------------+---------------+
//! |   Type (8)    |   Flags (8)   |
//! +-+-------------+---------------+-------------------------------+
//! |R|                 Stream Identifier (31)                      |
//! +=+=============================================================+
//! |                   Frame Payload (0...)                      ...
//! +---------------------------------------------------------------+
//! ```

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::StreamId;

/// Length of the frame header in bytes.
pub const HEAD_LEN: usize = 9;

/// A frame type. The space is open (RFC 9113 §5.5), so unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    /// DATA (§6.1).
    pub const DATA: Self = Self(0x0);
    /// HEADERS (§6.2).
    pub const HEADERS: Self = Self(0x1);
    /// PRIORITY (§6.3).
    pub const PRIORITY: Self = Self(0x2);
    /// RST_STREAM (§6.4).
    pub const RST_STREAM: Self = Self(0x3);
    /// SETTINGS (§6.5).
    pub const SETTINGS: Self = Self(0x4);
    /// PUSH_PROMISE (§6.6).
    pub const PUSH_PROMISE: Self = Self(0x5);
    /// PING (§6.7).
    pub const PING: Self = Self(0x6);
    /// GOAWAY (§6.8).
    pub const GOAWAY: Self = Self(0x7);
    /// WINDOW_UPDATE (§6.9).
    pub const WINDOW_UPDATE: Self = Self(0x8);
    /// CONTINUATION (§6.10).
    pub const CONTINUATION: Self = Self(0x9);

    /// The RFC 9113 name of a known type.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "DATA",
            0x1 => "HEADERS",
            0x2 => "PRIORITY",
            0x3 => "RST_STREAM",
            0x4 => "SETTINGS",
            0x5 => "PUSH_PROMISE",
            0x6 => "PING",
            0x7 => "GOAWAY",
            0x8 => "WINDOW_UPDATE",
            0x9 => "CONTINUATION",
            _ => return None,
        })
    }
}

impl fmt::Debug for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "FrameType({:#x})", self.0),
        }
    }
}

impl fmt::Display for FrameType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Flag bits (RFC 9113 §6). Each frame type gives them its own meaning.
pub mod flags {
    /// DATA, HEADERS: END_STREAM (§6.1, §6.2).
    pub const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: ACK (§6.5, §6.7).
    pub const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: END_HEADERS (§6.2).
    pub const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: PADDED (§6.1).
    pub const PADDED: u8 = 0x8;
    /// HEADERS: PRIORITY (§6.2).
    pub const PRIORITY: u8 = 0x20;
}

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHead {
    /// Payload length (24 bits).
    pub length: u32,
    /// Frame type.
    pub kind: FrameType,
    /// Flags byte, unmasked.
    pub flags: u8,
    /// Stream identifier (reserved bit removed).
    pub stream_id: StreamId,
}

impl FrameHead {
    /// Parses a header from the first [`HEAD_LEN`] bytes of `src`, or returns
    /// `None` when fewer are given.
    pub fn parse(src: &[u8]) -> Option<Self> {
        let head: &[u8; HEAD_LEN] = src.get(..HEAD_LEN)?.try_into().ok()?;
        Some(Self {
            length: u32::from_be_bytes([0, head[0], head[1], head[2]]),
            kind: FrameType(head[3]),
            flags: head[4],
            stream_id: StreamId::new(u32::from_be_bytes([head[5], head[6], head[7], head[8]])),
        })
    }

    /// Appends the header to `dst`. `length` must fit in 24 bits.
    pub fn encode(&self, dst: &mut BytesMut) {
        debug_assert!(self.length < (1 << 24), "frame length over 24 bits");
        let len = self.length.to_be_bytes();
        let id = self.stream_id.value().to_be_bytes();
        dst.put_slice(&[len[1], len[2], len[3], self.kind.0, self.flags, id[0], id[1], id[2], id[3]]);
    }
}

/// Appends a frame header to `dst`.
pub(crate) fn put_head(dst: &mut BytesMut, length: usize, kind: FrameType, flags: u8, stream_id: StreamId) {
    FrameHead { length: length as u32, kind, flags, stream_id }.encode(dst);
}
