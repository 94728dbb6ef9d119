//! Frame-level protocol violations and the error codes they map to.

use std::fmt;

use super::{FrameType, Headers, Reason, StreamId};

/// A frame that breaks a rule of RFC 9113 §4 or §6.
///
/// [`FrameError::stream_id`] is `Some` for a stream error (§5.4.2: reset that
/// stream, keep the connection) and `None` for a connection error (§5.4.1:
/// GOAWAY and close). [`FrameError::reason`] is the error code the RFC names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// §4.2: length above SETTINGS_MAX_FRAME_SIZE.
    TooLarge {
        /// The frame type.
        kind: FrameType,
        /// Its declared length.
        length: u32,
        /// Our SETTINGS_MAX_FRAME_SIZE.
        max: u32,
    },
    /// A fixed-size frame with the wrong length, or a payload too short for
    /// its mandatory fields (FRAME_SIZE_ERROR, connection error). PRIORITY
    /// frames use [`FrameError::BadPriorityLength`] instead.
    BadLength {
        /// The frame type.
        kind: FrameType,
        /// Its length.
        length: u32,
    },
    /// A frame that needs a stream id arrived on stream 0, or the reverse
    /// (PROTOCOL_ERROR).
    BadStreamId {
        /// The frame type.
        kind: FrameType,
        /// The stream id it carried.
        stream_id: StreamId,
    },
    /// §6.1, §6.2, §6.6: padding as long as or longer than the payload
    /// (PROTOCOL_ERROR).
    PaddingTooLong {
        /// The frame type.
        kind: FrameType,
    },
    /// §6.5: SETTINGS with ACK set and a non-empty payload (FRAME_SIZE_ERROR).
    SettingsAckWithPayload,
    /// §6.5.2: a SETTINGS value out of range (PROTOCOL_ERROR, or
    /// FLOW_CONTROL_ERROR for INITIAL_WINDOW_SIZE).
    BadSetting {
        /// The setting id.
        id: u16,
        /// The value received.
        value: u32,
    },
    /// §6.9: WINDOW_UPDATE with an increment of 0 (PROTOCOL_ERROR; a stream
    /// error unless on stream 0).
    ZeroWindowIncrement {
        /// The stream (zero for the connection window).
        stream_id: StreamId,
    },
    /// §5.3.1: a stream that depends on itself (a stream error).
    SelfDependency {
        /// The stream.
        stream_id: StreamId,
    },
    /// §6.3: a PRIORITY frame whose length is not 5 (a stream error of type
    /// FRAME_SIZE_ERROR; the frame's bytes are consumed).
    BadPriorityLength {
        /// The stream the frame was sent on.
        stream_id: StreamId,
        /// Its length.
        length: u32,
    },
    /// §5.3.1: a HEADERS frame whose priority fields make its stream depend
    /// on itself (a stream error of type PROTOCOL_ERROR).
    ///
    /// The decoded frame is kept: §4.3 still requires its field block (and
    /// that of any CONTINUATION frames that follow) to be decompressed, or
    /// the HPACK state would drift out of sync with the peer's.
    SelfDependentHeaders {
        /// The frame, fully decoded.
        frame: Box<Headers>,
    },
}

impl FrameError {
    /// The error code RFC 9113 names for this violation.
    pub fn reason(&self) -> Reason {
        match self {
            Self::TooLarge { .. }
            | Self::BadLength { .. }
            | Self::BadPriorityLength { .. }
            | Self::SettingsAckWithPayload => Reason::FRAME_SIZE_ERROR,
            Self::BadSetting { id: 0x4, .. } => Reason::FLOW_CONTROL_ERROR,
            Self::BadStreamId { .. }
            | Self::PaddingTooLong { .. }
            | Self::BadSetting { .. }
            | Self::ZeroWindowIncrement { .. }
            | Self::SelfDependency { .. }
            | Self::SelfDependentHeaders { .. } => Reason::PROTOCOL_ERROR,
        }
    }

    /// `Some(stream)` when only that stream is affected (§5.4.2).
    pub fn stream_id(&self) -> Option<StreamId> {
        match self {
            // §6.9: a zero increment is a stream error, or a connection error on stream 0.
            Self::ZeroWindowIncrement { stream_id } if !stream_id.is_zero() => Some(*stream_id),
            // §5.3.1, §6.3: priority problems only affect their stream.
            Self::SelfDependency { stream_id } | Self::BadPriorityLength { stream_id, .. } => {
                Some(*stream_id)
            }
            Self::SelfDependentHeaders { frame } => Some(frame.stream_id),
            _ => None,
        }
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { kind, length, max } => {
                write!(f, "{kind} frame of {length} bytes exceeds SETTINGS_MAX_FRAME_SIZE {max}")
            }
            Self::BadLength { kind, length } => {
                write!(f, "{kind} frame with invalid length {length}")
            }
            Self::BadStreamId { kind, stream_id } => {
                write!(f, "{kind} frame on invalid stream {stream_id}")
            }
            Self::PaddingTooLong { kind } => write!(f, "{kind} frame padding exceeds its payload"),
            Self::SettingsAckWithPayload => f.write_str("SETTINGS ACK with a payload"),
            Self::BadSetting { id, value } => {
                write!(f, "SETTINGS parameter {id:#x} has invalid value {value}")
            }
            Self::ZeroWindowIncrement { stream_id } => {
                write!(f, "WINDOW_UPDATE with increment 0 on stream {stream_id}")
            }
            Self::SelfDependency { stream_id } => write!(f, "stream {stream_id} depends on itself"),
            Self::BadPriorityLength { stream_id, length } => {
                write!(f, "PRIORITY frame with invalid length {length} on stream {stream_id}")
            }
            Self::SelfDependentHeaders { frame } => {
                write!(f, "HEADERS makes stream {} depend on itself", frame.stream_id)
            }
        }
    }
}

impl std::error::Error for FrameError {}
