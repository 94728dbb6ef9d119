//! Huffman coding of string literals (RFC 7541 §5.2, Appendix B).
//!
//! Decoding is table driven: a state machine consumes four bits at a time. A
//! state is an internal node of the code tree (256 of them: a complete prefix
//! code with 257 leaves), and [`FSM`] says, for a state and a nibble, which
//! state follows, whether a symbol was completed on the way (at most one: the
//! shortest code is 5 bits), and whether stopping there would be valid
//! padding. Both the tree and the state machine are computed at compile time
//! from [`CODES`], so the RFC table is the only hand-written data.
//!
//! The decoding loop has no data-dependent branches: it always stores the
//! transition's symbol and advances the output by its emit bit, and it
//! checks for EOS once at the end.

use bytes::{BufMut, BytesMut};

use super::error::DecodeError;
use super::huffman_code::{CODES, EOS, SYMBOLS};

/// Internal nodes of the code tree (a full binary tree with 257 leaves).
const NODES: usize = SYMBOLS - 1;
/// Tree child slot: a leaf, with the symbol in the low 9 bits.
const LEAF: u16 = 0x8000;
/// Tree child slot not filled yet (only during construction).
const UNSET: u16 = 0xffff;

/// Child slots of every internal node; node 0 is the root.
type Tree = [[u16; 2]; NODES];

const fn build_tree() -> Tree {
    let mut tree = [[UNSET; 2]; NODES];
    let mut next = 1usize;
    let mut sym = 0usize;
    while sym < SYMBOLS {
        let (code, len) = CODES[sym];
        let mut node = 0usize;
        let mut i = len as u32;
        while i > 1 {
            i -= 1;
            let bit = ((code >> i) & 1) as usize;
            let child = tree[node][bit];
            if child == UNSET {
                assert!(next < NODES, "Huffman code has too many internal nodes");
                tree[node][bit] = next as u16;
                node = next;
                next += 1;
            } else {
                assert!(child & LEAF == 0, "Huffman code is not prefix free");
                node = child as usize;
            }
        }
        let bit = (code & 1) as usize;
        assert!(tree[node][bit] == UNSET, "Huffman code is not prefix free");
        tree[node][bit] = LEAF | sym as u16;
        sym += 1;
    }
    assert!(next == NODES, "Huffman code is not complete");
    let mut n = 0;
    while n < NODES {
        assert!(tree[n][0] != UNSET && tree[n][1] != UNSET, "Huffman code is not complete");
        n += 1;
    }
    tree
}

/// One transition of the nibble state machine.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// The state (tree node) after the nibble.
    next: u8,
    /// The symbol completed within the nibble, when `flags & EMIT`.
    sym: u8,
    /// `EMIT`, `FAIL`, `ACCEPT`.
    flags: u8,
}

/// A symbol was completed within the nibble.
const EMIT: u8 = 1;
/// The nibble completed EOS: a decoding error (RFC 7541 §5.2).
const FAIL: u8 = 2;
/// Ending the string in the `next` state is valid: the bits since the last
/// symbol are a prefix of EOS (all ones) and at most 7 long (RFC 7541 §5.2).
const ACCEPT: u8 = 4;

const fn build_fsm(tree: &Tree) -> [[Step; 16]; NODES] {
    // States on the all-ones path from the root, depth 0 to 7: valid padding.
    let mut accept = [false; NODES];
    let mut node = 0usize;
    let mut depth = 0;
    loop {
        accept[node] = true;
        if depth == 7 {
            break;
        }
        let child = tree[node][1];
        assert!(child & LEAF == 0, "an all-ones code shorter than 8 bits");
        node = child as usize;
        depth += 1;
    }

    let mut fsm = [[Step { next: 0, sym: 0, flags: FAIL }; 16]; NODES];
    let mut state = 0usize;
    while state < NODES {
        let mut nibble = 0usize;
        while nibble < 16 {
            let mut node = state;
            let mut flags = 0u8;
            let mut sym = 0u8;
            let mut i = 4;
            while i > 0 {
                i -= 1;
                let child = tree[node][(nibble >> i) & 1];
                if child & LEAF == 0 {
                    node = child as usize;
                } else if child & !LEAF == EOS {
                    // Decoding goes on from the root; the error is reported
                    // at the end of the string.
                    flags = FAIL;
                    node = 0;
                    break;
                } else {
                    assert!(flags & EMIT == 0, "two symbols in one nibble");
                    flags |= EMIT;
                    sym = (child & !LEAF) as u8;
                    node = 0;
                }
            }
            if flags & FAIL == 0 && accept[node] {
                flags |= ACCEPT;
            }
            fsm[state][nibble] = Step { next: node as u8, sym, flags };
            nibble += 1;
        }
        state += 1;
    }
    fsm
}

/// The decoding state machine, `FSM[state << 4 | nibble]`, one transition
/// per entry:
///
/// ```text
///  31        19   18     17     16   15      8 7       0
/// +------------+------+------+------+---------+---------+
/// |     0      |ACCEPT| FAIL | EMIT |  symbol | next    |
/// +------------+------+------+------+---------+---------+
/// ```
static FSM: [u32; NODES * 16] = {
    let steps = build_fsm(&build_tree());
    let mut fsm = [0u32; NODES * 16];
    let mut i = 0;
    while i < NODES * 16 {
        let step = steps[i / 16][i % 16];
        fsm[i] = step.next as u32 | (step.sym as u32) << 8 | (step.flags as u32) << FLAGS_SHIFT;
        i += 1;
    }
    fsm
};

/// Where [`EMIT`], [`FAIL`] and [`ACCEPT`] sit in an [`FSM`] entry.
const FLAGS_SHIFT: u32 = 16;

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
    let mut n = 0usize;
    let mut state = 0usize;
    // All flags seen (for FAIL), and the last transition (for ACCEPT).
    let mut seen = 0u32;
    let mut last = u32::from(ACCEPT) << FLAGS_SHIFT;
    for &byte in src {
        let hi = FSM[state << 4 | usize::from(byte >> 4)];
        if let Some(slot) = out.get_mut(n) {
            *slot = (hi >> 8) as u8;
        }
        n += (hi >> FLAGS_SHIFT & u32::from(EMIT)) as usize;
        let lo = FSM[((hi & 0xff) as usize) << 4 | usize::from(byte & 0x0f)];
        if let Some(slot) = out.get_mut(n) {
            *slot = (lo >> 8) as u8;
        }
        n += (lo >> FLAGS_SHIFT & u32::from(EMIT)) as usize;
        seen |= hi | lo;
        state = (lo & 0xff) as usize;
        last = lo;
    }
    let eos = seen & u32::from(FAIL) << FLAGS_SHIFT != 0;
    let bad_padding = last & u32::from(ACCEPT) << FLAGS_SHIFT == 0;
    if eos || bad_padding || n > out.len() {
        return Err(DecodeError::InvalidHuffman);
    }
    Ok(n)
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
    use std::collections::HashMap;

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
    fn reference(codes: &HashMap<(u32, u8), usize>, src: &[u8]) -> Result<Vec<u8>, DecodeError> {
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
        let codes: HashMap<(u32, u8), usize> =
            CODES.iter().enumerate().map(|(sym, &code)| (code, sym)).collect();
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
            let expected = reference(&codes, &input);
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
