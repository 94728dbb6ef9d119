//! The last Huffman-coded value seen for each static-table name, kept with
//! its coding.
//!
//! A server that never refers to the dynamic table sends every response's
//! fields as literals, Huffman coded each time, and mostly the very same
//! octets as in the previous response. nginx 1.22 does: 107 octets per
//! response, `server`, `date`, `content-type`, `content-length` and
//! `last-modified` as literals with incremental indexing (RFC 7541 §6.2.1)
//! that it never indexes, the rest as literals with new names. Comparing a few dozen octets is much
//! cheaper than decoding them (two dependent table lookups per octet), and a
//! hit hands out the earlier value by reference count, without the scratch
//! buffer.
//!
//! Only values up to [`MAX_CODED`] octets are kept, one per static name, so
//! the memory is bounded (under 5 KiB per connection) and nothing the peer
//! sends can make it grow. Never-indexed fields (§6.2.3) are not kept.

use bytes::Bytes;

use super::static_table;

/// Longer codings are decoded every time.
const MAX_CODED: usize = 48;

#[derive(Debug, Default)]
pub(super) struct RecentValues {
    /// Indexed by static-table index (1..=61); empty until first used.
    slots: Vec<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    coded: Vec<u8>,
    value: Bytes,
}

impl RecentValues {
    /// The value last decoded from exactly `coded` for the static name
    /// `index`, if it is still the latest one.
    pub(super) fn get(&self, index: usize, coded: &[u8]) -> Option<Bytes> {
        let slot = self.slots.get(index)?;
        (!slot.coded.is_empty() && slot.coded == coded).then(|| slot.value.clone())
    }

    /// Remembers that `coded` decoded to `value` for the static name
    /// `index`, and returns the copy it keeps. Values it does not keep (too
    /// long, or not a static index) give `None`.
    pub(super) fn put(&mut self, index: usize, coded: &[u8], value: &Bytes) -> Option<Bytes> {
        if coded.len() > MAX_CODED || index == 0 || index > static_table::LEN {
            return None;
        }
        if self.slots.is_empty() {
            self.slots.resize_with(static_table::LEN + 1, Slot::default);
        }
        let slot = self.slots.get_mut(index)?;
        slot.coded.clear();
        slot.coded.extend_from_slice(coded);
        // Its own allocation: a slice of the decoder's scratch buffer would
        // keep the whole chunk alive (here, and in the dynamic table).
        slot.value = Bytes::copy_from_slice(value);
        Some(slot.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hit_needs_the_same_coding_and_name() {
        let mut recent = RecentValues::default();
        assert_eq!(recent.get(54, b"\x01\x02"), None);
        let kept = recent.put(54, b"\x01\x02", &Bytes::from_static(b"nginx"));
        assert_eq!(kept.as_deref(), Some(&b"nginx"[..]));
        assert_eq!(recent.get(54, b"\x01\x02").as_deref(), Some(&b"nginx"[..]));
        assert_eq!(recent.get(54, b"\x01\x03"), None);
        assert_eq!(recent.get(33, b"\x01\x02"), None);
        // A newer value replaces the older one.
        recent.put(54, b"\x07", &Bytes::from_static(b"h2o"));
        assert_eq!(recent.get(54, b"\x01\x02"), None);
        assert_eq!(recent.get(54, b"\x07").as_deref(), Some(&b"h2o"[..]));
    }

    #[test]
    fn only_short_codings_of_static_names_are_kept() {
        let mut recent = RecentValues::default();
        let long = [0u8; MAX_CODED + 1];
        assert_eq!(recent.put(54, &long, &Bytes::from_static(b"x")), None);
        assert_eq!(recent.put(0, b"\x01", &Bytes::from_static(b"x")), None);
        assert_eq!(recent.put(static_table::LEN + 1, b"\x01", &Bytes::from_static(b"x")), None);
        assert!(recent.slots.is_empty());
        assert_eq!(recent.get(54, &long), None);
        assert_eq!(recent.get(static_table::LEN + 1, b"\x01"), None);
    }
}
