//! The encoder's dynamic table (RFC 7541 §2.3.2, §4) with a hash index.
//!
//! Every inserted entry gets a sequence number from a running counter. The
//! index maps hashes of `(name, value)` and of `name` to the sequence number
//! of the newest entry with them, and an entry's HPACK index follows by
//! arithmetic: the newest entry is 62, and each older one is one more
//! (RFC 7541 §2.3.3). Insertions and evictions therefore never renumber the
//! index, and a lookup is one hash map probe plus a comparison.

use std::collections::{HashMap, VecDeque};

use super::hash::{BuildPreHashed, State};
use super::static_table;
use super::table::entry_size;

/// The hashes of one field, computed once per header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Hashes {
    name: u64,
    field: u64,
}

impl Hashes {
    pub(super) fn new(name: &[u8], value: &[u8]) -> Self {
        let after_name = State::new().bytes(name);
        Self { name: after_name.finish(), field: after_name.bytes(value).finish() }
    }
}

#[derive(Debug)]
struct Entry {
    /// Name then value, in one allocation.
    data: Box<[u8]>,
    name_len: usize,
    hashes: Hashes,
}

impl Entry {
    fn name(&self) -> &[u8] {
        &self.data[..self.name_len]
    }

    fn value(&self) -> &[u8] {
        &self.data[self.name_len..]
    }

    fn size(&self) -> usize {
        entry_size(self.name(), self.value())
    }
}

/// What the dynamic table has for a field, as HPACK indices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Found {
    /// The index of an entry with this name and value.
    pub(super) field: Option<usize>,
    /// The index of the newest entry with this name.
    pub(super) name: Option<usize>,
}

/// The encoder's dynamic table.
#[derive(Debug)]
pub(super) struct EncoderTable {
    /// Oldest first.
    entries: VecDeque<Entry>,
    size: usize,
    capacity: usize,
    /// Entries inserted so far; the newest has sequence number `inserted - 1`.
    inserted: u64,
    by_field: HashMap<u64, u64, BuildPreHashed>,
    by_name: HashMap<u64, u64, BuildPreHashed>,
}

impl EncoderTable {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            size: 0,
            capacity,
            inserted: 0,
            by_field: HashMap::default(),
            by_name: HashMap::default(),
        }
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    #[cfg(test)]
    pub(super) fn size(&self) -> usize {
        self.size
    }

    /// The entry with a sequence number, if it is still in the table.
    fn entry(&self, seq: u64) -> Option<&Entry> {
        let oldest = self.inserted - self.entries.len() as u64;
        let position = usize::try_from(seq.checked_sub(oldest)?).ok()?;
        self.entries.get(position)
    }

    /// The HPACK index of a sequence number that is in the table.
    fn index_of(&self, seq: u64) -> usize {
        static_table::LEN + 1 + (self.inserted - 1 - seq) as usize
    }

    pub(super) fn find(&self, name: &[u8], value: &[u8], hashes: Hashes) -> Found {
        let mut found = Found::default();
        if let Some(&seq) = self.by_field.get(&hashes.field) {
            if let Some(e) = self.entry(seq) {
                if e.name() == name && e.value() == value {
                    found.field = Some(self.index_of(seq));
                    found.name = found.field;
                    return found;
                }
            }
        }
        if let Some(&seq) = self.by_name.get(&hashes.name) {
            if let Some(e) = self.entry(seq) {
                if e.name() == name {
                    found.name = Some(self.index_of(seq));
                }
            }
        }
        found
    }

    /// Adds an entry (RFC 7541 §4.4), evicting the oldest ones until it fits.
    /// An entry larger than the table empties it, as the decoder will.
    pub(super) fn insert(&mut self, name: &[u8], value: &[u8], hashes: Hashes) {
        let size = entry_size(name, value);
        if size > self.capacity {
            self.clear();
            return;
        }
        while self.size + size > self.capacity {
            self.evict_oldest();
        }
        let mut data = Vec::with_capacity(name.len() + value.len());
        data.extend_from_slice(name);
        data.extend_from_slice(value);
        let seq = self.inserted;
        self.inserted += 1;
        self.size += size;
        self.entries.push_back(Entry { data: data.into_boxed_slice(), name_len: name.len(), hashes });
        self.by_field.insert(hashes.field, seq);
        self.by_name.insert(hashes.name, seq);
    }

    /// Applies a new maximum size (RFC 7541 §4.3).
    pub(super) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        while self.size > capacity {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        let seq = self.inserted - self.entries.len() as u64;
        let Some(entry) = self.entries.pop_front() else {
            self.size = 0;
            return;
        };
        self.size -= entry.size();
        // Only forget the hash if no newer entry took it over.
        if self.by_field.get(&entry.hashes.field) == Some(&seq) {
            self.by_field.remove(&entry.hashes.field);
        }
        if self.by_name.get(&entry.hashes.name) == Some(&seq) {
            self.by_name.remove(&entry.hashes.name);
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.by_field.clear();
        self.by_name.clear();
        self.size = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(table: &mut EncoderTable, name: &str, value: &str) {
        let (n, v) = (name.as_bytes(), value.as_bytes());
        table.insert(n, v, Hashes::new(n, v));
    }

    fn find(table: &EncoderTable, name: &str, value: &str) -> Found {
        let (n, v) = (name.as_bytes(), value.as_bytes());
        table.find(n, v, Hashes::new(n, v))
    }

    #[test]
    fn indices_follow_insertion_order() {
        let mut table = EncoderTable::new(4096);
        insert(&mut table, "a", "1");
        insert(&mut table, "b", "2");
        insert(&mut table, "a", "3");
        assert_eq!(find(&table, "a", "3").field, Some(62));
        assert_eq!(find(&table, "b", "2").field, Some(63));
        assert_eq!(find(&table, "a", "1").field, Some(64));
        // The newest entry with the name has the lowest index.
        assert_eq!(find(&table, "a", "9"), Found { field: None, name: Some(62) });
        assert_eq!(find(&table, "c", "1"), Found::default());
    }

    #[test]
    fn eviction_forgets_only_evicted_entries() {
        // 34 octets each; room for three.
        let mut table = EncoderTable::new(102);
        insert(&mut table, "a", "1");
        insert(&mut table, "b", "2");
        insert(&mut table, "a", "3");
        insert(&mut table, "c", "4");
        assert_eq!(table.size(), 102);
        assert_eq!(find(&table, "a", "1"), Found { field: None, name: Some(63) });
        assert_eq!(find(&table, "b", "2").field, Some(64));
        insert(&mut table, "d", "5");
        assert_eq!(find(&table, "b", "2"), Found::default());
        assert_eq!(find(&table, "a", "3").field, Some(64));
        table.set_capacity(34);
        assert_eq!(find(&table, "a", "3"), Found::default());
        assert_eq!(find(&table, "d", "5").field, Some(62));
        insert(&mut table, "too-large-for-the-table", "x");
        assert_eq!(table.size(), 0);
        assert_eq!(find(&table, "d", "5"), Found::default());
    }

    #[test]
    fn many_insertions_keep_indices_consistent() {
        let mut table = EncoderTable::new(1000);
        for i in 0..10_000 {
            insert(&mut table, &format!("n{}", i % 7), &i.to_string());
            let f = find(&table, &format!("n{}", i % 7), &i.to_string());
            assert_eq!(f.field, Some(62));
        }
        // The newest entry is i = 9999; 9998 is next.
        assert_eq!(find(&table, "n2", "9998").field, Some(63));
    }
}
