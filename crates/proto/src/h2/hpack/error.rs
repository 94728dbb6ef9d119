//! Why a header block could not be decoded.

use std::fmt;

/// A header block could not be decoded.
///
/// Every variant except [`DecodeError::HeaderListTooLarge`] is a decoding
/// error in the sense of RFC 7541: the decoder's dynamic table may now differ
/// from the peer's, so the connection must end with COMPRESSION_ERROR
/// (RFC 9113 §4.3) and the [`Decoder`](super::Decoder) must not be used again.
///
/// [`DecodeError::HeaderListTooLarge`] is different: the whole block was
/// decoded and the table is still in sync, so only the stream fails (RFC 9113
/// §8.2.3 / §10.5.1). [`DecodeError::is_compression_error`] tells them apart.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// An integer (RFC 7541 §5.1) does not fit the decoder's bound
    /// (`u32::MAX`), or uses more continuation octets than that needs.
    IntegerOverflow,
    /// The block ends in the middle of a representation, or a string's
    /// declared length (RFC 7541 §5.2) runs past the end of the block.
    Truncated,
    /// Index 0, or an index past the end of the dynamic table
    /// (RFC 7541 §2.3.3, §6.1).
    InvalidIndex(usize),
    /// A Huffman-coded string contains EOS, or its padding is longer than
    /// 7 bits or not all ones (RFC 7541 §5.2).
    InvalidHuffman,
    /// A dynamic table size update asks for more than our
    /// SETTINGS_HEADER_TABLE_SIZE (RFC 7541 §6.3).
    TableSizeUpdateTooLarge {
        /// The size the peer asked for.
        requested: usize,
        /// Our advertised limit.
        max: usize,
    },
    /// A dynamic table size update after the first header field of the
    /// block (RFC 7541 §4.2).
    TableSizeUpdateNotAtStart,
    /// We lowered SETTINGS_HEADER_TABLE_SIZE below the table's size, and the
    /// next block did not start with a dynamic table size update to at most
    /// the new value (RFC 7541 §4.2).
    TableSizeUpdateMissing {
        /// The lowest limit we advertised since the previous block.
        max: usize,
    },
    /// The decoded header list is larger than SETTINGS_MAX_HEADER_LIST_SIZE,
    /// counted as in RFC 9113 §6.5.2 (name + value + 32 per field). The rest
    /// of the block was still decoded, so the decoder remains usable.
    HeaderListTooLarge {
        /// The size of the whole decoded list.
        size: usize,
        /// The limit.
        max: usize,
    },
}

impl DecodeError {
    /// Whether this error breaks the compression context, which makes it a
    /// connection error of type COMPRESSION_ERROR (RFC 9113 §4.3). Only
    /// [`DecodeError::HeaderListTooLarge`] is not.
    pub fn is_compression_error(&self) -> bool {
        !matches!(self, Self::HeaderListTooLarge { .. })
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IntegerOverflow => f.write_str("hpack: integer overflow"),
            Self::Truncated => f.write_str("hpack: header block truncated"),
            Self::InvalidIndex(index) => write!(f, "hpack: invalid table index {index}"),
            Self::InvalidHuffman => f.write_str("hpack: invalid Huffman-coded string"),
            Self::TableSizeUpdateTooLarge { requested, max } => {
                write!(f, "hpack: dynamic table size update to {requested} exceeds the limit {max}")
            }
            Self::TableSizeUpdateNotAtStart => {
                f.write_str("hpack: dynamic table size update after a header field")
            }
            Self::TableSizeUpdateMissing { max } => {
                write!(f, "hpack: expected a dynamic table size update to at most {max}")
            }
            Self::HeaderListTooLarge { size, max } => {
                write!(f, "hpack: header list of {size} octets exceeds the limit {max}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_classification() {
        let e = DecodeError::HeaderListTooLarge { size: 10, max: 5 };
        assert!(!e.is_compression_error());
        assert!(e.to_string().contains("10"));
        assert!(DecodeError::InvalidIndex(70).is_compression_error());
        assert_eq!(DecodeError::InvalidIndex(70).to_string(), "hpack: invalid table index 70");
    }
}
