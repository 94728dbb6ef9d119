//! The last Huffman-coded value seen for each static-table name, and for a
//! few recent literal names, kept with their codings.
//!
//! A server that never refers to the dynamic table sends every response's
//! fields as literals, Huffman coded each time, and mostly the very same
//! octets as in the previous response. nginx 1.22 does: 107 octets per
//! response, `server`, `date`, `content-type`, `content-length` and
//! `last-modified` as literals with incremental indexing (RFC 7541 §6.2.1)
//! that it never indexes, `etag` and `accept-ranges` as literals with new,
//! Huffman-coded names (§6.2.2). Comparing a few dozen octets is much
//! cheaper than decoding them (two dependent table lookups per octet), and a
//! hit hands out the earlier string by reference count, without the scratch
//! buffer.
//!
//! Only codings up to [`MAX_CODED`] octets are kept: one value per static
//! name, and [`NAMED`] literal names with one value each, replaced in turn.
//! The memory is bounded (under 6 KiB per connection) and nothing the peer
//! sends can make it grow. Never-indexed fields (§6.2.3) are not kept.

use bytes::Bytes;

use super::static_table;

/// Longer codings are decoded every time.
const MAX_CODED: usize = 48;

/// Literal names kept.
const NAMED: usize = 8;

/// Whose value: the static name at an index (1..=61), or a kept literal
/// name (see [`RecentValues::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Key {
    Static(usize),
    Named(usize),
}

#[derive(Debug, Default)]
pub(super) struct RecentValues {
    /// Indexed by static-table index (1..=61); empty until first used.
    slots: Vec<Slot>,
    /// Recent literal names, each with its last value.
    named: Vec<Named>,
    /// The entry of `named` to replace next, once it is full.
    next_named: usize,
}

#[derive(Debug, Default)]
struct Slot {
    coded: Vec<u8>,
    value: Bytes,
}

#[derive(Debug, Default)]
struct Named {
    name: Slot,
    value: Slot,
}

impl Slot {
    fn get(&self, coded: &[u8]) -> Option<Bytes> {
        (!self.coded.is_empty() && self.coded == coded).then(|| self.value.clone())
    }

    fn put(&mut self, coded: &[u8], value: &Bytes) -> Bytes {
        self.coded.clear();
        self.coded.extend_from_slice(coded);
        // Its own allocation: a slice of the decoder's scratch buffer would
        // keep the whole chunk alive (here, and in the dynamic table).
        self.value = Bytes::copy_from_slice(value);
        self.value.clone()
    }
}

impl RecentValues {
    /// The value last decoded from exactly `coded` for `key`, if it is
    /// still the latest one.
    pub(super) fn get(&self, key: Key, coded: &[u8]) -> Option<Bytes> {
        match key {
            Key::Static(index) => self.slots.get(index)?.get(coded),
            Key::Named(at) => self.named.get(at)?.value.get(coded),
        }
    }

    /// Remembers that `coded` decoded to `value` for `key`, and returns the
    /// copy it keeps. Values it does not keep (too long, or not a static
    /// index) give `None`.
    pub(super) fn put(&mut self, key: Key, coded: &[u8], value: &Bytes) -> Option<Bytes> {
        if coded.len() > MAX_CODED {
            return None;
        }
        let slot = match key {
            Key::Static(index) => {
                if index == 0 || index > static_table::LEN {
                    return None;
                }
                if self.slots.is_empty() {
                    self.slots.resize_with(static_table::LEN + 1, Slot::default);
                }
                self.slots.get_mut(index)?
            }
            Key::Named(at) => &mut self.named.get_mut(at)?.value,
        };
        Some(slot.put(coded, value))
    }

    /// A kept literal name coded as exactly `coded`: its key and the name.
    pub(super) fn name(&self, coded: &[u8]) -> Option<(Key, Bytes)> {
        let at = self.named.iter().position(|n| n.name.coded == coded)?;
        Some((Key::Named(at), self.named[at].name.value.clone()))
    }

    /// Keeps the literal name `name`, decoded from `coded` (in place of the
    /// oldest once [`NAMED`] are kept), with no value yet: its key and the
    /// copy kept. Too long a coding gives `None`.
    pub(super) fn put_name(&mut self, coded: &[u8], name: &Bytes) -> Option<(Key, Bytes)> {
        if coded.is_empty() || coded.len() > MAX_CODED {
            return None;
        }
        let at = if self.named.len() < NAMED {
            self.named.push(Named::default());
            self.named.len() - 1
        } else {
            let at = self.next_named;
            self.next_named = (at + 1) % NAMED;
            at
        };
        let entry = &mut self.named[at];
        entry.value = Slot::default();
        Some((Key::Named(at), entry.name.put(coded, name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: Key = Key::Static(54);

    #[test]
    fn a_hit_needs_the_same_coding_and_name() {
        let mut recent = RecentValues::default();
        assert_eq!(recent.get(SERVER, b"\x01\x02"), None);
        let kept = recent.put(SERVER, b"\x01\x02", &Bytes::from_static(b"nginx"));
        assert_eq!(kept.as_deref(), Some(&b"nginx"[..]));
        assert_eq!(recent.get(SERVER, b"\x01\x02").as_deref(), Some(&b"nginx"[..]));
        assert_eq!(recent.get(SERVER, b"\x01\x03"), None);
        assert_eq!(recent.get(Key::Static(33), b"\x01\x02"), None);
        // A newer value replaces the older one.
        recent.put(SERVER, b"\x07", &Bytes::from_static(b"h2o"));
        assert_eq!(recent.get(SERVER, b"\x01\x02"), None);
        assert_eq!(recent.get(SERVER, b"\x07").as_deref(), Some(&b"h2o"[..]));
    }

    #[test]
    fn only_short_codings_of_static_names_are_kept() {
        let mut recent = RecentValues::default();
        let long = [0u8; MAX_CODED + 1];
        assert_eq!(recent.put(SERVER, &long, &Bytes::from_static(b"x")), None);
        assert_eq!(recent.put(Key::Static(0), b"\x01", &Bytes::from_static(b"x")), None);
        assert_eq!(recent.put(Key::Static(static_table::LEN + 1), b"\x01", &Bytes::from_static(b"x")), None);
        assert!(recent.slots.is_empty());
        assert_eq!(recent.get(SERVER, &long), None);
        assert_eq!(recent.get(Key::Static(static_table::LEN + 1), b"\x01"), None);
        assert_eq!(recent.put_name(&long, &Bytes::from_static(b"x")), None);
        assert_eq!(recent.put_name(b"", &Bytes::new()), None);
        assert!(recent.named.is_empty());
    }

    #[test]
    fn literal_names_keep_their_last_value() {
        let mut recent = RecentValues::default();
        assert_eq!(recent.name(b"\x21"), None);
        let (etag, name) = recent.put_name(b"\x21", &Bytes::from_static(b"etag")).unwrap();
        assert_eq!(&name[..], b"etag");
        assert_eq!(recent.name(b"\x21").map(|(k, n)| (k, n.to_vec())), Some((etag, b"etag".to_vec())));
        assert_eq!(recent.get(etag, b"\x05"), None, "no value yet");
        recent.put(etag, b"\x05", &Bytes::from_static(b"\"abc\""));
        assert_eq!(recent.get(etag, b"\x05").as_deref(), Some(&b"\"abc\""[..]));
        // Another name has its own value.
        let (ranges, _) = recent.put_name(b"\x22", &Bytes::from_static(b"accept-ranges")).unwrap();
        assert_ne!(ranges, etag);
        assert_eq!(recent.get(ranges, b"\x05"), None);
    }

    #[test]
    fn at_most_a_few_literal_names_are_kept_oldest_replaced_first() {
        let mut recent = RecentValues::default();
        let keys: Vec<Key> = (0..NAMED as u8)
            .map(|i| {
                let (key, _) = recent.put_name(&[i + 1], &Bytes::from(vec![b'a' + i])).unwrap();
                recent.put(key, &[i + 1], &Bytes::from_static(b"v"));
                key
            })
            .collect();
        assert_eq!(recent.named.len(), NAMED);
        // One more takes the oldest's place, and not its value.
        let (key, _) = recent.put_name(b"\xff", &Bytes::from_static(b"new")).unwrap();
        assert_eq!(key, keys[0]);
        assert_eq!(recent.name(&[1]), None);
        assert_eq!(recent.get(key, &[1]), None);
        assert_eq!(recent.named.len(), NAMED);
        assert!(recent.name(&[2]).is_some());
    }
}
