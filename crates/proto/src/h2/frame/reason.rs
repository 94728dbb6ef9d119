//! Error codes (RFC 9113 §7).

use std::fmt;

/// An HTTP/2 error code as carried by RST_STREAM and GOAWAY.
///
/// The code space is open (RFC 9113 §7: "Unknown or unsupported error codes
/// MUST NOT trigger any special behavior"), so this is a newtype over `u32`
/// with constants for the known codes, and unknown values are kept as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(transparent))]
pub struct Reason(u32);

impl Reason {
    /// Graceful shutdown or no error.
    pub const NO_ERROR: Self = Self(0x0);
    /// Unspecific protocol error.
    pub const PROTOCOL_ERROR: Self = Self(0x1);
    /// Unexpected internal error.
    pub const INTERNAL_ERROR: Self = Self(0x2);
    /// Flow-control limits violated.
    pub const FLOW_CONTROL_ERROR: Self = Self(0x3);
    /// SETTINGS not acknowledged in time.
    pub const SETTINGS_TIMEOUT: Self = Self(0x4);
    /// Frame received for a half-closed stream.
    pub const STREAM_CLOSED: Self = Self(0x5);
    /// Frame with an invalid size.
    pub const FRAME_SIZE_ERROR: Self = Self(0x6);
    /// Stream refused before any application processing (RFC 9113 §8.7).
    pub const REFUSED_STREAM: Self = Self(0x7);
    /// Stream no longer needed.
    pub const CANCEL: Self = Self(0x8);
    /// Field-block compression state could not be maintained.
    pub const COMPRESSION_ERROR: Self = Self(0x9);
    /// CONNECT connection reset or abnormally closed.
    pub const CONNECT_ERROR: Self = Self(0xa);
    /// The peer is generating excessive load.
    pub const ENHANCE_YOUR_CALM: Self = Self(0xb);
    /// Transport properties do not meet minimum security requirements.
    pub const INADEQUATE_SECURITY: Self = Self(0xc);
    /// HTTP/1.1 must be used instead of HTTP/2.
    pub const HTTP_1_1_REQUIRED: Self = Self(0xd);

    /// Wraps any code, known or not.
    pub const fn new(code: u32) -> Self {
        Self(code)
    }

    /// The numeric code.
    pub const fn code(self) -> u32 {
        self.0
    }

    /// The RFC 9113 name of a known code, `None` for others.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xa => "CONNECT_ERROR",
            0xb => "ENHANCE_YOUR_CALM",
            0xc => "INADEQUATE_SECURITY",
            0xd => "HTTP_1_1_REQUIRED",
            _ => return None,
        })
    }
}

impl From<u32> for Reason {
    fn from(code: u32) -> Self {
        Self(code)
    }
}

impl From<Reason> for u32 {
    fn from(reason: Reason) -> Self {
        reason.0
    }
}

impl fmt::Debug for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Reason({:#x})", self.0),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown error code {:#x}", self.0),
        }
    }
}
