//! HTTP/2 frames (RFC 9113 §4 and §6): types, decoding and encoding.
//!
//! Decoding works on a growing read buffer: [`FrameDecoder::decode`] looks at the
//! front of a [`BytesMut`], returns `Ok(None)` until a whole frame is there, and
//! then splits that frame off. Payloads are `Bytes` slices of the read buffer, so
//! DATA and header-block bytes are never copied.
//!
//! Encoding appends to one caller-owned [`BytesMut`] write buffer; nothing here
//! allocates per frame.

mod continuation;
mod data;
mod decode;
mod error;
mod go_away;
mod head;
mod headers;
mod ping;
mod priority;
mod push_promise;
mod reason;
mod rst_stream;
mod settings;
mod stream_id;
mod unknown;
mod window_update;

pub use continuation::Continuation;
pub use data::Data;
pub use decode::FrameDecoder;
pub use error::FrameError;
pub use go_away::GoAway;
pub use head::{FrameHead, FrameType, HEAD_LEN, flags};
pub use headers::{Headers, PrioritySpec, encode_field_block};
pub use ping::Ping;
pub use priority::Priority;
pub use push_promise::PushPromise;
pub use reason::Reason;
pub use rst_stream::RstStream;
pub use settings::{SettingId, Settings};
pub use stream_id::{StreamId, StreamIdHasher, StreamIdMap};
pub use unknown::Unknown;
pub use window_update::WindowUpdate;

use bytes::BytesMut;

/// RFC 9113 §4.2: the initial SETTINGS_MAX_FRAME_SIZE, and its lowest legal value.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;
/// RFC 9113 §4.2: the highest legal SETTINGS_MAX_FRAME_SIZE (2^24-1).
pub const MAX_MAX_FRAME_SIZE: u32 = (1 << 24) - 1;
/// RFC 9113 §6.9.1: the largest flow-control window (2^31-1).
pub const MAX_WINDOW_SIZE: u32 = (1 << 31) - 1;
/// RFC 9113 §6.9.2: the initial window of every stream and of the connection.
pub const DEFAULT_INITIAL_WINDOW_SIZE: u32 = 65_535;

/// One decoded frame. Unknown frame types are kept (RFC 9113 §4.1: they must
/// be ignored, which is the connection's job) rather than turned into errors.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Frame {
    /// DATA (§6.1).
    Data(Data),
    /// HEADERS (§6.2).
    Headers(Headers),
    /// PRIORITY (§6.3), parsed and otherwise ignored (§5.3.2).
    Priority(Priority),
    /// RST_STREAM (§6.4).
    RstStream(RstStream),
    /// SETTINGS (§6.5).
    Settings(Settings),
    /// PUSH_PROMISE (§6.6).
    PushPromise(PushPromise),
    /// PING (§6.7).
    Ping(Ping),
    /// GOAWAY (§6.8).
    GoAway(GoAway),
    /// WINDOW_UPDATE (§6.9).
    WindowUpdate(WindowUpdate),
    /// CONTINUATION (§6.10).
    Continuation(Continuation),
    /// A frame of a type this crate does not know (§4.1, §5.5).
    Unknown(Unknown),
}

impl Frame {
    /// The stream the frame belongs to (zero for connection frames).
    pub fn stream_id(&self) -> StreamId {
        match self {
            Self::Data(f) => f.stream_id,
            Self::Headers(f) => f.stream_id,
            Self::Priority(f) => f.stream_id,
            Self::RstStream(f) => f.stream_id,
            Self::PushPromise(f) => f.stream_id,
            Self::WindowUpdate(f) => f.stream_id,
            Self::Continuation(f) => f.stream_id,
            Self::Unknown(f) => f.stream_id,
            Self::Settings(_) | Self::Ping(_) | Self::GoAway(_) => StreamId::ZERO,
        }
    }

    /// The frame's type (its type byte on the wire).
    pub fn kind(&self) -> FrameType {
        match self {
            Self::Data(_) => FrameType::DATA,
            Self::Headers(_) => FrameType::HEADERS,
            Self::Priority(_) => FrameType::PRIORITY,
            Self::RstStream(_) => FrameType::RST_STREAM,
            Self::Settings(_) => FrameType::SETTINGS,
            Self::PushPromise(_) => FrameType::PUSH_PROMISE,
            Self::Ping(_) => FrameType::PING,
            Self::GoAway(_) => FrameType::GOAWAY,
            Self::WindowUpdate(_) => FrameType::WINDOW_UPDATE,
            Self::Continuation(_) => FrameType::CONTINUATION,
            Self::Unknown(u) => u.kind,
        }
    }

    /// The flags byte the frame had on the wire, rebuilt from its fields:
    /// the decoder drops the flags a type does not define (RFC 9113 §4.1),
    /// so this is also the byte [`Frame::encode`] writes.
    pub fn flags(&self) -> u8 {
        let bit = |on: bool, flag: u8| if on { flag } else { 0 };
        match self {
            Self::Data(d) => bit(d.end_stream, flags::END_STREAM) | bit(d.pad_len.is_some(), flags::PADDED),
            Self::Headers(h) => {
                bit(h.end_stream, flags::END_STREAM)
                    | bit(h.end_headers, flags::END_HEADERS)
                    | bit(h.pad_len.is_some(), flags::PADDED)
                    | bit(h.priority.is_some(), flags::PRIORITY)
            }
            Self::Settings(s) => bit(s.ack, flags::ACK),
            Self::Ping(p) => bit(p.ack, flags::ACK),
            Self::PushPromise(p) => {
                bit(p.end_headers, flags::END_HEADERS) | bit(p.pad_len.is_some(), flags::PADDED)
            }
            Self::Continuation(c) => bit(c.end_headers, flags::END_HEADERS),
            Self::Unknown(u) => u.flags,
            Self::Priority(_) | Self::RstStream(_) | Self::GoAway(_) | Self::WindowUpdate(_) => 0,
        }
    }

    /// Appends the frame's wire form to `dst`. The caller keeps payloads
    /// within the peer's SETTINGS_MAX_FRAME_SIZE; HEADERS and PUSH_PROMISE are
    /// written as one frame here (use [`encode_field_block`] to split a field
    /// block over CONTINUATION frames).
    pub fn encode(&self, dst: &mut BytesMut) {
        match self {
            Self::Data(f) => f.encode(dst),
            Self::Headers(f) => f.encode(dst),
            Self::Priority(f) => f.encode(dst),
            Self::RstStream(f) => f.encode(dst),
            Self::Settings(f) => f.encode(dst),
            Self::PushPromise(f) => f.encode(dst),
            Self::Ping(f) => f.encode(dst),
            Self::GoAway(f) => f.encode(dst),
            Self::WindowUpdate(f) => f.encode(dst),
            Self::Continuation(f) => f.encode(dst),
            Self::Unknown(f) => f.encode(dst),
        }
    }
}
