//! Header fields as the decoder hands them out and the encoder takes them.

use bytes::Bytes;

/// A decoded header field.
///
/// `name` and `value` share memory with the header block (plain literals),
/// the dynamic table (indexed fields) or a decoder-owned buffer (Huffman-coded
/// literals); the decoder never validates them as HTTP (RFC 9113 §8.2 is the
/// caller's job).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Header {
    /// Field name, as sent (HTTP/2 requires lowercase; not checked here).
    pub name: Bytes,
    /// Field value.
    pub value: Bytes,
    /// The field arrived as a literal never indexed (RFC 7541 §6.2.3): an
    /// intermediary must forward it the same way.
    pub sensitive: bool,
}

/// A header field to encode, borrowed from the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HeaderRef<'a> {
    /// Field name.
    pub name: &'a [u8],
    /// Field value.
    pub value: &'a [u8],
    /// Encode as a literal never indexed (RFC 7541 §6.2.3) and keep it out
    /// of the dynamic table, e.g. for `authorization` or short cookies whose
    /// values are guessable (RFC 7541 §7.1).
    pub sensitive: bool,
}

impl<'a> From<&'a Header> for HeaderRef<'a> {
    fn from(header: &'a Header) -> Self {
        Self { name: &header.name, value: &header.value, sensitive: header.sensitive }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_ref_borrows_header() {
        let header =
            Header { name: Bytes::from_static(b"a"), value: Bytes::from_static(b"b"), sensitive: true };
        let r = HeaderRef::from(&header);
        assert_eq!((r.name, r.value, r.sensitive), (&b"a"[..], &b"b"[..], true));
    }
}
