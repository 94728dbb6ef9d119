//! Stream identifiers (RFC 9113 §5.1.1).

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// A 31-bit stream identifier. The reserved high bit is never set in a value
/// of this type: decoding masks it off, as RFC 9113 §4.1 requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(transparent))]
pub struct StreamId(u32);

impl StreamId {
    /// Stream 0: the connection itself.
    pub const ZERO: Self = Self(0);
    /// The largest stream identifier, 2^31-1. Also the "last_stream_id" of a
    /// first, graceful GOAWAY (RFC 9113 §6.8).
    pub const MAX: Self = Self((1 << 31) - 1);

    /// Builds a stream id from the low 31 bits of `id` (the reserved bit is
    /// dropped).
    pub const fn new(id: u32) -> Self {
        Self(id & 0x7fff_ffff)
    }

    /// The numeric value.
    pub const fn value(self) -> u32 {
        self.0
    }

    /// True for stream 0.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// RFC 9113 §5.1.1: streams initiated by a client have odd identifiers.
    pub const fn is_client_initiated(self) -> bool {
        self.0 % 2 == 1
    }

    /// The next stream id of the same initiator, or `None` once the 31-bit
    /// space is exhausted (RFC 9113 §5.1.1: a new connection is then needed).
    pub const fn next(self) -> Option<Self> {
        match self.0.checked_add(2) {
            Some(n) if n <= Self::MAX.0 => Some(Self(n)),
            _ => None,
        }
    }
}

impl From<StreamId> for u32 {
    fn from(id: StreamId) -> Self {
        id.0
    }
}

/// A number, refused when the reserved bit is set rather than masked: a
/// stored id with it set was not written by this crate.
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for StreamId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = u32::deserialize(deserializer)?;
        if id > Self::MAX.0 {
            return Err(serde::de::Error::custom(format_args!("stream id {id} is above 2^31-1")));
        }
        Ok(Self(id))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A map keyed by stream id, with [`StreamIdHasher`].
pub type StreamIdMap<V> = HashMap<StreamId, V, BuildHasherDefault<StreamIdHasher>>;

/// A hasher for stream ids: they are small distinct integers, so a
/// multiplicative hash is enough and much cheaper than SipHash. Not flood
/// resistant, and it need not be: the maps hold only streams this client
/// opened; a peer's ids are only looked up.
#[derive(Default)]
pub struct StreamIdHasher(u64);

impl Hasher for StreamIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8 | u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}
