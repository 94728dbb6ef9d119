//! A small, fast, non-cryptographic hash for the encoder's table index.
//!
//! Not flood resistant, and it need not be: the index holds at most one entry
//! per 32 octets of table size, every hit is verified against the stored
//! bytes, and a collision only costs compression.

use std::hash::{BuildHasherDefault, Hasher};

const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x9e37_79b9_7f4a_7c15;
const K2: u64 = 0xa076_1d64_78bd_642f;

/// The 128-bit product of `a` and `b`, high half folded onto the low half:
/// a cheap way to mix two words into one (as in wyhash and foldhash).
#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The first eight octets, little endian (0 if shorter).
#[inline(always)]
fn first8(bytes: &[u8]) -> u64 {
    bytes.first_chunk().map_or(0, |w| u64::from_le_bytes(*w))
}

/// The last eight octets, little endian (0 if shorter).
#[inline(always)]
fn last8(bytes: &[u8]) -> u64 {
    bytes.last_chunk().map_or(0, |w| u64::from_le_bytes(*w))
}

/// The first four octets, little endian (0 if shorter).
#[inline(always)]
fn first4(bytes: &[u8]) -> u64 {
    bytes.first_chunk().map_or(0, |w| u64::from(u32::from_le_bytes(*w)))
}

/// The last four octets, little endian (0 if shorter).
#[inline(always)]
fn last4(bytes: &[u8]) -> u64 {
    bytes.last_chunk().map_or(0, |w| u64::from(u32::from_le_bytes(*w)))
}

/// A running hash over a sequence of byte strings.
#[derive(Debug, Clone, Copy)]
pub(super) struct State(u64);

impl State {
    pub(super) fn new() -> Self {
        Self(K0)
    }

    /// Adds a byte string, its length included so that ("ab", "c") and
    /// ("a", "bc") differ. One multiplication per 16 octets; the last 1 to
    /// 16 octets are read as two possibly overlapping fixed-size loads, which
    /// together cover every octet (the length disambiguates the overlap).
    pub(super) fn bytes(self, bytes: &[u8]) -> Self {
        let mut h = self.0 ^ (bytes.len() as u64).wrapping_mul(K1);
        let mut chunks = bytes.chunks_exact(16);
        for chunk in &mut chunks {
            h = fold_mul(first8(chunk) ^ K1, last8(chunk) ^ h);
        }
        let rest = chunks.remainder();
        let (a, b) = match rest {
            [] => (0, 0),
            [x, ..] if rest.len() < 4 => {
                let middle = rest[rest.len() / 2];
                let last = rest[rest.len() - 1];
                (u64::from(*x) << 16 | u64::from(middle) << 8 | u64::from(last), 0)
            }
            _ if rest.len() <= 8 => (first4(rest), last4(rest)),
            _ => (first8(rest), last8(rest)),
        };
        Self(fold_mul(a ^ K1, b ^ h ^ K2))
    }

    /// The final value, mixed again since the hash map uses both the low and
    /// the high bits.
    pub(super) fn finish(self) -> u64 {
        fold_mul(self.0 ^ K2, K1)
    }
}

/// A `Hasher` for keys that are already hashes.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = State(self.0).bytes(bytes).finish();
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Builds [`PreHashed`] hashers for `HashMap<u64, _>`.
pub(super) type BuildPreHashed = BuildHasherDefault<PreHashed>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_matter() {
        let a = State::new().bytes(b"ab").bytes(b"c").finish();
        let b = State::new().bytes(b"a").bytes(b"bc").finish();
        assert_ne!(a, b);
        // Every length up to 40, each octet changed: no collisions.
        let mut seen = std::collections::HashSet::new();
        for len in 0..=40usize {
            let base: Vec<u8> = (0..len as u8).collect();
            assert!(seen.insert(State::new().bytes(&base).finish()));
            for i in 0..len {
                let mut changed = base.clone();
                changed[i] ^= 0x80;
                assert!(seen.insert(State::new().bytes(&changed).finish()), "{len} {i}");
            }
        }
        let c = State::new().bytes(b"abcdefgh").finish();
        let d = State::new().bytes(b"abcdefgh\0").finish();
        assert_ne!(c, d);
        assert_eq!(c, State::new().bytes(b"abcdefgh").finish());
    }

    #[test]
    fn prehashed_passes_u64_through() {
        let mut h = PreHashed::default();
        h.write_u64(42);
        assert_eq!(h.finish(), 42);
    }
}
