//! A small, fast, non-cryptographic hash for the encoder's table index.
//!
//! Not flood resistant, and it need not be: the index holds at most one entry
//! per 32 octets of table size, every hit is verified against the stored
//! bytes, and a collision only costs compression.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A running hash over a sequence of byte strings.
#[derive(Debug, Clone, Copy)]
pub(super) struct State(u64);

impl State {
    pub(super) fn new() -> Self {
        Self(0x243f_6a88_85a3_08d3)
    }

    fn word(self, word: u64) -> Self {
        Self((self.0.rotate_left(23) ^ word).wrapping_mul(K))
    }

    /// Adds a byte string, its length included so that ("ab", "c") and
    /// ("a", "bc") differ.
    pub(super) fn bytes(self, bytes: &[u8]) -> Self {
        let mut state = self;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            state = state.word(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        state.word(u64::from_le_bytes(word)).word(bytes.len() as u64)
    }

    /// The final value, with every input bit spread over every output bit
    /// (the MurmurHash3 finalizer), since the hash map uses both the low and
    /// the high bits.
    pub(super) fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
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
