//! Integer representation (RFC 7541 §5.1).
//!
//! An integer starts in the low N bits of an octet whose high bits belong to
//! the representation around it. Values below 2^N-1 fit there; larger ones
//! fill the prefix with ones and continue in 7-bit groups, least significant
//! first, with the high bit of each octet set while more follow:
//!
//! ```text
//!   0   1   2   3   4   5   6   7
//! +---+---+---+---+---+---+---+---+
//! | ? | ? | ? |       Value       |    Value < 2^N-1
//! +---+---+---+-------------------+
//!
//! +---+---+---+---+---+---+---+---+
//! | ? | ? | ? | 1   1   1   1   1 |    Value >= 2^N-1
//! +---+---+---+-------------------+
//! | 1 |    Value-(2^N-1) LSB      |
//! +---+---------------------------+
//!                ...
//! +---+---------------------------+
//! | 0 |    Value-(2^N-1) MSB      |
//! +---+---------------------------+
//! ```

use bytes::{BufMut, BytesMut};

use super::error::DecodeError;

/// The largest integer the decoder accepts. RFC 7541 §5.1 leaves the bound to
/// the implementation; nothing HPACK counts (indices, string lengths, table
/// sizes bounded by a 32-bit SETTINGS value) needs more, and it fits `usize`
/// on 32-bit targets.
pub(super) const MAX_INTEGER: usize = u32::MAX as usize;

/// Continuation octets needed for [`MAX_INTEGER`] (5 × 7 = 35 bits ≥ 32);
/// more is an overflow even if they only carry zeros.
const MAX_CONTINUATION: u32 = 5;

/// Decodes an integer with an N-bit prefix (`prefix_bits` in 1..=8) starting
/// at `buf[*pos]`, and advances `pos` past it.
pub(super) fn decode(buf: &[u8], pos: &mut usize, prefix_bits: u8) -> Result<usize, DecodeError> {
    debug_assert!((1..=8).contains(&prefix_bits));
    let mask: u8 = 0xff >> (8 - prefix_bits);
    let first = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
    *pos += 1;
    let prefix = first & mask;
    if prefix < mask {
        return Ok(usize::from(prefix));
    }
    let mut value = u64::from(mask);
    let mut shift = 0u32;
    loop {
        let byte = *buf.get(*pos).ok_or(DecodeError::Truncated)?;
        *pos += 1;
        value += u64::from(byte & 0x7f) << shift;
        if value > MAX_INTEGER as u64 {
            return Err(DecodeError::IntegerOverflow);
        }
        if byte & 0x80 == 0 {
            // Bounded by MAX_INTEGER above, so the conversion is lossless.
            return usize::try_from(value).map_err(|_| DecodeError::IntegerOverflow);
        }
        shift += 7;
        if shift >= 7 * MAX_CONTINUATION {
            return Err(DecodeError::IntegerOverflow);
        }
    }
}

/// Appends `value` with an N-bit prefix (`prefix_bits` in 1..=8); `flags` are
/// the representation's bits above the prefix.
pub(super) fn encode(dst: &mut BytesMut, value: usize, prefix_bits: u8, flags: u8) {
    debug_assert!((1..=8).contains(&prefix_bits));
    let mask: u8 = 0xff >> (8 - prefix_bits);
    if value < usize::from(mask) {
        dst.put_u8(flags | value as u8);
        return;
    }
    dst.put_u8(flags | mask);
    let mut rest = value - usize::from(mask);
    while rest >= 0x80 {
        dst.put_u8((rest as u8 & 0x7f) | 0x80);
        rest >>= 7;
    }
    dst.put_u8(rest as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(value: usize, prefix_bits: u8) -> Vec<u8> {
        let mut dst = BytesMut::new();
        encode(&mut dst, value, prefix_bits, 0);
        dst.to_vec()
    }

    fn dec(buf: &[u8], prefix_bits: u8) -> Result<usize, DecodeError> {
        let mut pos = 0;
        let value = decode(buf, &mut pos, prefix_bits)?;
        assert_eq!(pos, buf.len(), "decode must consume the whole integer");
        Ok(value)
    }

    #[test]
    fn rfc_examples() {
        // C.1.1: 10 with a 5-bit prefix.
        assert_eq!(enc(10, 5), [0x0a]);
        assert_eq!(dec(&[0x0a], 5), Ok(10));
        // C.1.2: 1337 with a 5-bit prefix.
        assert_eq!(enc(1337, 5), [0x1f, 0x9a, 0x0a]);
        assert_eq!(dec(&[0x1f, 0x9a, 0x0a], 5), Ok(1337));
        // C.1.3: 42 at an octet boundary.
        assert_eq!(enc(42, 8), [0x2a]);
        assert_eq!(dec(&[0x2a], 8), Ok(42));
    }

    #[test]
    fn prefix_edges_round_trip() {
        for prefix_bits in 1..=8u8 {
            let max = (1usize << prefix_bits) - 1;
            for value in [0, 1, max - 1, max, max + 1, max + 127, max + 128, 16_383, 1 << 20] {
                let bytes = enc(value, prefix_bits);
                assert_eq!(dec(&bytes, prefix_bits), Ok(value), "{value} / {prefix_bits}");
            }
            assert_eq!(enc(max, prefix_bits), [max as u8, 0]);
            let bytes = enc(MAX_INTEGER, prefix_bits);
            assert_eq!(dec(&bytes, prefix_bits), Ok(MAX_INTEGER));
        }
    }

    #[test]
    fn flags_are_kept_out_of_the_prefix() {
        let mut dst = BytesMut::new();
        encode(&mut dst, 3, 6, 0x40);
        assert_eq!(&dst[..], [0x43]);
        let mut pos = 0;
        assert_eq!(decode(&[0xc3], &mut pos, 6), Ok(3));
    }

    #[test]
    fn overflow_is_rejected() {
        // One past MAX_INTEGER.
        let bytes = enc(MAX_INTEGER, 5);
        let mut too_big = bytes.clone();
        // Bump the last group: the value becomes larger than u32::MAX.
        *too_big.last_mut().unwrap() += 1;
        assert_eq!(dec(&too_big, 5), Err(DecodeError::IntegerOverflow));
        // A huge value spread over many octets.
        let huge = [0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        assert_eq!(dec(&huge, 5), Err(DecodeError::IntegerOverflow));
        // Many continuation octets carrying only zeros.
        let padded = [0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        assert_eq!(dec(&padded, 5), Err(DecodeError::IntegerOverflow));
        // Four zero continuation octets is still allowed (five in all).
        assert_eq!(dec(&[0x1f, 0x80, 0x80, 0x80, 0x80, 0x00], 5), Ok(31));
    }

    #[test]
    fn truncation_is_reported() {
        assert_eq!(dec(&[], 5), Err(DecodeError::Truncated));
        assert_eq!(dec(&[0x1f], 5), Err(DecodeError::Truncated));
        assert_eq!(dec(&[0x1f, 0x9a], 5), Err(DecodeError::Truncated));
    }
}
