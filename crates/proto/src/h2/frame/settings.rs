//! SETTINGS frames (RFC 9113 §6.5).

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::StreamId;
use super::head::{FrameType, flags, put_head};

/// A setting identifier. The space is open: unknown identifiers are ignored
/// (RFC 9113 §6.5.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SettingId(pub u16);

impl SettingId {
    /// SETTINGS_HEADER_TABLE_SIZE (0x1).
    pub const HEADER_TABLE_SIZE: Self = Self(0x1);
    /// SETTINGS_ENABLE_PUSH (0x2).
    pub const ENABLE_PUSH: Self = Self(0x2);
    /// SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    pub const MAX_CONCURRENT_STREAMS: Self = Self(0x3);
    /// SETTINGS_INITIAL_WINDOW_SIZE (0x4).
    pub const INITIAL_WINDOW_SIZE: Self = Self(0x4);
    /// SETTINGS_MAX_FRAME_SIZE (0x5).
    pub const MAX_FRAME_SIZE: Self = Self(0x5);
    /// SETTINGS_MAX_HEADER_LIST_SIZE (0x6).
    pub const MAX_HEADER_LIST_SIZE: Self = Self(0x6);
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8, RFC 8441).
    pub const ENABLE_CONNECT_PROTOCOL: Self = Self(0x8);
}

impl fmt::Debug for SettingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x1 => "HEADER_TABLE_SIZE",
            0x2 => "ENABLE_PUSH",
            0x3 => "MAX_CONCURRENT_STREAMS",
            0x4 => "INITIAL_WINDOW_SIZE",
            0x5 => "MAX_FRAME_SIZE",
            0x6 => "MAX_HEADER_LIST_SIZE",
            0x8 => "ENABLE_CONNECT_PROTOCOL",
            other => return write!(f, "SettingId({other:#x})"),
        };
        f.write_str(name)
    }
}

/// A SETTINGS frame. Each known parameter is `Some` when the frame carried
/// it (the last occurrence wins, RFC 9113 §6.5.3 processes them in order).
/// Unknown parameters are counted and dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// ACK flag: an acknowledgement carries no parameters.
    pub ack: bool,
    /// SETTINGS_HEADER_TABLE_SIZE.
    pub header_table_size: Option<u32>,
    /// SETTINGS_ENABLE_PUSH (0 or 1).
    pub enable_push: Option<u32>,
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub max_concurrent_streams: Option<u32>,
    /// SETTINGS_INITIAL_WINDOW_SIZE (at most 2^31-1).
    pub initial_window_size: Option<u32>,
    /// SETTINGS_MAX_FRAME_SIZE (2^14 ..= 2^24-1).
    pub max_frame_size: Option<u32>,
    /// SETTINGS_MAX_HEADER_LIST_SIZE.
    pub max_header_list_size: Option<u32>,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441).
    pub enable_connect_protocol: Option<u32>,
    /// How many parameters with unknown identifiers the frame carried.
    pub unknown: u32,
}

impl Settings {
    /// A SETTINGS frame with the ACK flag and no parameters.
    pub fn ack() -> Self {
        Self { ack: true, ..Self::default() }
    }

    /// The known parameters that are present, in identifier order.
    pub fn params(&self) -> impl Iterator<Item = (SettingId, u32)> + '_ {
        [
            (SettingId::HEADER_TABLE_SIZE, self.header_table_size),
            (SettingId::ENABLE_PUSH, self.enable_push),
            (SettingId::MAX_CONCURRENT_STREAMS, self.max_concurrent_streams),
            (SettingId::INITIAL_WINDOW_SIZE, self.initial_window_size),
            (SettingId::MAX_FRAME_SIZE, self.max_frame_size),
            (SettingId::MAX_HEADER_LIST_SIZE, self.max_header_list_size),
            (SettingId::ENABLE_CONNECT_PROTOCOL, self.enable_connect_protocol),
        ]
        .into_iter()
        .filter_map(|(id, v)| v.map(|v| (id, v)))
    }

    /// Records one parameter as the decoder reads it; unknown ids are counted.
    pub fn set(&mut self, id: SettingId, value: u32) {
        let slot = match id {
            SettingId::HEADER_TABLE_SIZE => &mut self.header_table_size,
            SettingId::ENABLE_PUSH => &mut self.enable_push,
            SettingId::MAX_CONCURRENT_STREAMS => &mut self.max_concurrent_streams,
            SettingId::INITIAL_WINDOW_SIZE => &mut self.initial_window_size,
            SettingId::MAX_FRAME_SIZE => &mut self.max_frame_size,
            SettingId::MAX_HEADER_LIST_SIZE => &mut self.max_header_list_size,
            SettingId::ENABLE_CONNECT_PROTOCOL => &mut self.enable_connect_protocol,
            _ => {
                self.unknown = self.unknown.saturating_add(1);
                return;
            }
        };
        *slot = Some(value);
    }

    /// Appends the frame to `dst` (known parameters only). An ACK is always
    /// written empty, whatever parameters `self` holds: RFC 9113 §6.5 makes
    /// an ACK with a payload a FRAME_SIZE_ERROR.
    pub fn encode(&self, dst: &mut BytesMut) {
        if self.ack {
            put_head(dst, 0, FrameType::SETTINGS, flags::ACK, StreamId::ZERO);
            return;
        }
        let count = self.params().count();
        put_head(dst, count * 6, FrameType::SETTINGS, 0, StreamId::ZERO);
        for (id, value) in self.params() {
            dst.put_u16(id.0);
            dst.put_u32(value);
        }
    }
}
