//! Huffman coding of string literals (RFC 7541 §5.2, Appendix B).
//!
//! Decoding is table driven. Input bits are kept most-significant-first in a
//! 64-bit buffer; the top [`FAST_BITS`] bits index [`FAST`], which gives the
//! symbol and code length for every code that short (all letters, digits
//! and common punctuation), so one lookup decodes one symbol. Longer codes
//! (rare octets and EOS) are decoded with the canonical-code limits in
//! [`LONG`], a comparison per code length. Both tables are computed at compile
//! time from [`CODES`], so the RFC table is the only hand-written data.

use bytes::{BufMut, BytesMut};

use super::error::DecodeError;
use super::huffman_code::{CODES, EOS, SYMBOLS};

/// Bits resolved by one [`FAST`] lookup. 2^11 two-octet entries: 4 KiB.
const FAST_BITS: u32 = 11;

/// `FAST[next FAST_BITS bits] = (symbol, code length)` for codes of at most
/// `FAST_BITS` bits; length 0 when the code is longer.
static FAST: [(u8, u8); 1 << FAST_BITS] = {
    let mut table = [(0u8, 0u8); 1 << FAST_BITS];
    let mut sym = 0;
    while sym < 256 {
        let (code, len) = CODES[sym];
        if len as u32 <= FAST_BITS {
            // Every FAST_BITS-bit pattern that starts with this code.
            let free = FAST_BITS - len as u32;
            let first = (code << free) as usize;
            let mut i = 0;
            while i < 1 << free {
                assert!(table[first + i].1 == 0, "Huffman code is not prefix free");
                table[first + i] = (sym as u8, len);
                i += 1;
            }
        }
        sym += 1;
    }
    table
};

/// Canonical decoding tables for all code lengths (RFC 7541 Appendix B is a
/// canonical code: within a length, codes are consecutive and ordered by
/// symbol, and the huffman_code tests check it).
struct Long {
    /// Per length L: one past the last code of length L, left-aligned in 32
    /// bits (0 when there is no code of that length). The code at the top of
    /// the bit buffer has the smallest L whose limit exceeds its top 32 bits.
    limit: [u64; 31],
    /// Per length: the first (smallest) code of that length.
    first: [u32; 31],
    /// Per length: the position in `sorted` of that first code's symbol.
    offset: [u16; 31],
    /// Symbols ordered by (code length, symbol).
    sorted: [u16; SYMBOLS],
}

static LONG: Long = {
    let mut long = Long {
        limit: [0; 31],
        first: [0; 31],
        offset: [0; 31],
        sorted: [0; SYMBOLS],
    };
    let mut n = 0usize;
    let mut len = 1usize;
    while len <= 30 {
        long.offset[len] = n as u16;
        let mut first = u32::MAX;
        let mut sym = 0usize;
        while sym < SYMBOLS {
            if CODES[sym].1 as usize == len {
                if first == u32::MAX {
                    first = CODES[sym].0;
                }
                // Canonical: consecutive codes in symbol order.
                assert!(CODES[sym].0 == first + (n as u32 - long.offset[len] as u32));
                long.sorted[n] = sym as u16;
                n += 1;
            }
            sym += 1;
        }
        if first != u32::MAX {
            let count = (n - long.offset[len] as usize) as u64;
            long.first[len] = first;
            long.limit[len] = (first as u64 + count) << (32 - len);
        }
        len += 1;
    }
    assert!(n == SYMBOLS);
    long
};

/// Decodes the code at the top of `bits` (at least 30 valid bits, or the
/// input padded with ones) by code length: `(symbol, length)`.
fn decode_long(bits: u64) -> (u16, u32) {
    let top = bits >> 32;
    let mut len = FAST_BITS as usize + 1;
    while len <= 30 {
        if top < LONG.limit[len] {
            let code = (top >> (32 - len)) as u32;
            let index = usize::from(LONG.offset[len]) + (code - LONG.first[len]) as usize;
            return (LONG.sorted[index], len as u32);
        }
        len += 1;
    }
    // Unreachable for a complete code (all 30 ones is EOS); treat as EOS.
    (EOS, 30)
}

/// The most octets `len` octets of Huffman code can decode to: the shortest
/// code is 5 bits, so at most `8 * len / 5` symbols.
pub(super) fn max_decoded_len(len: usize) -> usize {
    len.saturating_mul(8) / 5
}

/// Decodes a Huffman-coded string literal (RFC 7541 §5.2), appending it to
/// `dst`.
///
/// Errors with [`DecodeError::InvalidHuffman`] when the input contains EOS,
/// or ends in padding that is longer than 7 bits or not all ones; `dst` is
/// then left as it was.
pub(super) fn decode_into(src: &[u8], dst: &mut BytesMut) -> Result<(), DecodeError> {
    let start = dst.len();
    dst.resize(start + max_decoded_len(src.len()), 0);
    match decode_slice(src, &mut dst[start..]) {
        Ok(n) => {
            dst.truncate(start + n);
            Ok(())
        }
        Err(e) => {
            dst.truncate(start);
            Err(e)
        }
    }
}

/// Decodes `src` into `out`, which has room for [`max_decoded_len`] octets,
/// and returns the decoded length.
fn decode_slice(src: &[u8], out: &mut [u8]) -> Result<usize, DecodeError> {
    // `acc` holds `nbits` unread bits at its top. Below them it may hold the
    // following input bits too: refills OR the same bits in again.
    let mut acc: u64 = 0;
    let mut nbits: u32 = 0;
    let mut pos = 0;
    let mut n = 0;

    // Bulk: while 8 input octets remain, refill to at least 56 bits with one
    // load, then decode while a whole code (at most 30 bits) is buffered.
    while let Some(word) = src.get(pos..pos + 8) {
        let mut be = [0u8; 8];
        be.copy_from_slice(word);
        acc |= u64::from_be_bytes(be) >> nbits;
        pos += ((63 - nbits) / 8) as usize;
        nbits |= 56;
        while nbits >= 30 {
            let (sym, len) = decode_symbol(acc)?;
            *out.get_mut(n).ok_or(DecodeError::InvalidHuffman)? = sym;
            n += 1;
            acc <<= len;
            nbits -= len;
        }
    }

    // Tail: refill octet by octet; past the end, the bits are read as ones
    // so that a code running into the padding is seen as too long.
    acc &= !(u64::MAX.checked_shr(nbits).unwrap_or(0));
    loop {
        while nbits <= 56 {
            let Some(&byte) = src.get(pos) else { break };
            acc |= u64::from(byte) << (56 - nbits);
            nbits += 8;
            pos += 1;
        }
        if nbits == 0 {
            return Ok(n);
        }
        let bits = acc | u64::MAX.checked_shr(nbits).unwrap_or(0);
        if pos == src.len() && nbits <= 7 && bits == u64::MAX {
            // §5.2: at most 7 bits of padding, all ones (a prefix of EOS).
            return Ok(n);
        }
        let (sym, len) = decode_symbol(bits)?;
        if len > nbits {
            // The code runs past the input: padding too long or not ones.
            return Err(DecodeError::InvalidHuffman);
        }
        *out.get_mut(n).ok_or(DecodeError::InvalidHuffman)? = sym;
        n += 1;
        acc <<= len;
        nbits -= len;
    }
}

/// Decodes the code at the top of `bits`: `(octet, code length)`, or an
/// error for EOS (RFC 7541 §5.2).
#[inline(always)]
fn decode_symbol(bits: u64) -> Result<(u8, u32), DecodeError> {
    let (sym, len) = FAST[(bits >> (64 - FAST_BITS)) as usize];
    if len != 0 {
        return Ok((sym, u32::from(len)));
    }
    match decode_long(bits) {
        (EOS, _) => Err(DecodeError::InvalidHuffman),
        (sym, len) => Ok((sym as u8, len)),
    }
}

/// Code lengths in bits per octet, for [`encoded_len`].
static LENGTHS: [u8; 256] = {
    let mut lengths = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        lengths[i] = CODES[i].1;
        i += 1;
    }
    lengths
};

/// Length in octets of the Huffman coding of `src`, padding included.
pub(super) fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src.iter().map(|&b| usize::from(LENGTHS[usize::from(b)])).sum();
    bits.div_ceil(8)
}

/// Appends the Huffman coding of `src` to `dst`, padded with the most
/// significant bits of EOS (ones) to an octet boundary (RFC 7541 §5.2).
pub(super) fn encode(src: &[u8], dst: &mut BytesMut) {
    // `acc` holds `bits` pending bits in its low end; at most 31 + 30 of them.
    let mut acc: u64 = 0;
    let mut bits: u32 = 0;
    for &byte in src {
        let (code, len) = CODES[usize::from(byte)];
        acc = (acc << len) | u64::from(code);
        bits += u32::from(len);
        if bits >= 32 {
            bits -= 32;
            dst.put_u32((acc >> bits) as u32);
        }
    }
    while bits >= 8 {
        bits -= 8;
        dst.put_u8((acc >> bits) as u8);
    }
    if bits > 0 {
        dst.put_u8(((acc << (8 - bits)) as u8) | (0xff >> bits));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(src: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut dst = BytesMut::from(&b"prefix"[..]);
        let r = decode_into(src, &mut dst);
        let out = dst.split_off(6).to_vec();
        assert_eq!(&dst[..], b"prefix");
        r.map(|()| out)
    }

    fn enc(src: &[u8]) -> Vec<u8> {
        let mut dst = BytesMut::new();
        encode(src, &mut dst);
        assert_eq!(dst.len(), encoded_len(src));
        dst.to_vec()
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn rfc_examples() {
        // RFC 7541 C.4.1, C.4.2, C.4.3, C.6.1.
        let cases: &[(&str, &str)] = &[
            ("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"),
            ("no-cache", "a8eb 1064 9cbf"),
            ("custom-key", "25a8 49e9 5ba9 7d7f"),
            ("custom-value", "25a8 49e9 5bb8 e8b4 bf"),
            ("302", "6402"),
            ("private", "aec3 771a 4b"),
            ("Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"),
            ("https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"),
        ];
        for &(plain, coded) in cases {
            assert_eq!(enc(plain.as_bytes()), hex(coded), "{plain}");
            assert_eq!(decode(&hex(coded)).unwrap(), plain.as_bytes(), "{plain}");
        }
    }

    #[test]
    fn every_octet_round_trips() {
        for b in 0..=255u8 {
            for n in 1..=9 {
                let plain = vec![b; n];
                assert_eq!(decode(&enc(&plain)).unwrap(), plain, "{b} x {n}");
            }
        }
        let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        assert_eq!(decode(&enc(&all)).unwrap(), all);
        assert_eq!(decode(&[]).unwrap(), b"");
    }

    #[test]
    fn each_octet_decodes_to_itself() {
        // Decoding every code alone (padded with ones) checks the state machine
        // against the table entry by entry.
        for (sym, &(code, len)) in CODES.iter().enumerate().take(256) {
            let pad = (8 - len % 8) % 8;
            let total = u32::from(len + pad);
            let word = (u64::from(code) << pad) | ((1u64 << pad) - 1);
            let bytes: Vec<u8> = (0..total / 8).rev().map(|i| (word >> (8 * i)) as u8).collect();
            assert_eq!(decode(&bytes).unwrap(), [sym as u8], "symbol {sym}");
        }
    }

    #[test]
    fn eos_is_rejected() {
        // EOS alone: 30 ones, padded with 2 ones.
        assert_eq!(decode(&[0xff, 0xff, 0xff, 0xff]), Err(DecodeError::InvalidHuffman));
        // 'a' (00011) then EOS, padded.
        let with_eos = [0b0001_1111, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(decode(&with_eos), Err(DecodeError::InvalidHuffman));
    }

    #[test]
    fn padding_must_be_short_and_all_ones() {
        // 'a' = 00011, padding 111: fine.
        assert_eq!(decode(&[0b0001_1111]).unwrap(), b"a");
        // Padding with a zero bit.
        assert_eq!(decode(&[0b0001_1110]), Err(DecodeError::InvalidHuffman));
        assert_eq!(decode(&[0b0001_1011]), Err(DecodeError::InvalidHuffman));
        // 'a' then 11 ones: padding longer than 7 bits.
        assert_eq!(decode(&[0b0001_1111, 0xff]), Err(DecodeError::InvalidHuffman));
        // A whole octet of ones and nothing else.
        assert_eq!(decode(&[0xff]), Err(DecodeError::InvalidHuffman));
        // 0x00 (13 bits) then padding 000.
        assert_eq!(decode(&[0xff, 0xc0]), Err(DecodeError::InvalidHuffman));
        assert_eq!(decode(&[0xff, 0xc7]).unwrap(), b"\0");
        // The first 8 bits of the 10-bit code for '!'.
        assert_eq!(decode(&[0xfe]), Err(DecodeError::InvalidHuffman));
    }

    /// The obvious decoder: one bit at a time, looking codes up by value.
    fn reference(src: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let codes: std::collections::HashMap<(u32, u8), usize> = CODES
            .iter()
            .enumerate()
            .map(|(sym, &code)| (code, sym))
            .collect();
        let (mut code, mut len, mut out) = (0u32, 0u8, Vec::new());
        for i in 0..src.len() * 8 {
            code = (code << 1) | u32::from((src[i / 8] >> (7 - i % 8)) & 1);
            len += 1;
            match codes.get(&(code, len)) {
                Some(&sym) if sym == usize::from(EOS) => return Err(DecodeError::InvalidHuffman),
                Some(&sym) => {
                    out.push(sym as u8);
                    (code, len) = (0, 0);
                }
                None if len > 30 => return Err(DecodeError::InvalidHuffman),
                None => {}
            }
        }
        if len > 7 || code != (1 << len) - 1 {
            return Err(DecodeError::InvalidHuffman);
        }
        Ok(out)
    }

    #[test]
    fn matches_the_reference_decoder() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut ok, mut err) = (0, 0);
        for round in 0..20_000 {
            let len = (next() % 40) as usize;
            let input: Vec<u8> = if round % 2 == 0 {
                // Random octets: mostly invalid, sometimes not.
                (0..len).map(|_| next() as u8).collect()
            } else {
                // A valid coding, then maybe damaged.
                let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789-./:=?&%ABC\x00\xff";
                let plain: Vec<u8> = (0..len)
                    .map(|_| {
                        if next() % 8 == 0 {
                            next() as u8
                        } else {
                            alphabet[(next() % alphabet.len() as u64) as usize]
                        }
                    })
                    .collect();
                let mut coded = enc(&plain);
                match next() % 4 {
                    0 if !coded.is_empty() => {
                        let i = (next() % coded.len() as u64) as usize;
                        coded[i] ^= 1 << (next() % 8);
                    }
                    1 if !coded.is_empty() => {
                        coded.pop();
                    }
                    2 => coded.push(next() as u8),
                    _ => {}
                }
                coded
            };
            let expected = reference(&input);
            assert_eq!(decode(&input), expected, "{input:02x?}");
            if expected.is_ok() {
                ok += 1;
            } else {
                err += 1;
            }
        }
        assert!(ok > 1000 && err > 1000, "{ok} valid, {err} invalid");
    }
}
