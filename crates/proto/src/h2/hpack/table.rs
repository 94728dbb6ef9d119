//! The decoder's dynamic table (RFC 7541 §2.3.2, §4).
//!
//! A FIFO of `(name, value)` pairs, newest first: dynamic index 62 (RFC 7541
//! §2.3.3) is position 0 here. Entries are `Bytes`, so handing one out is a
//! reference-count increment.

use std::collections::VecDeque;

use bytes::Bytes;

/// RFC 7541 §4.1: an entry's size is its name and value lengths plus 32.
pub(super) const ENTRY_OVERHEAD: usize = 32;

/// The size of an entry as RFC 7541 §4.1 counts it.
pub(super) fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + ENTRY_OVERHEAD
}

/// The decoder's dynamic table.
#[derive(Debug, Clone, Default)]
pub(super) struct DynamicTable {
    /// Newest first.
    entries: VecDeque<(Bytes, Bytes)>,
    /// Sum of the entries' sizes (RFC 7541 §4.1).
    size: usize,
    /// The maximum size the encoder last chose (RFC 7541 §4.2).
    capacity: usize,
}

impl DynamicTable {
    pub(super) fn new(capacity: usize) -> Self {
        Self { entries: VecDeque::new(), size: 0, capacity }
    }

    pub(super) fn size(&self) -> usize {
        self.size
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The entry at a 0-based position, newest first.
    pub(super) fn get(&self, position: usize) -> Option<&(Bytes, Bytes)> {
        self.entries.get(position)
    }

    /// Applies a new maximum size, evicting from the oldest end until the
    /// table fits (RFC 7541 §4.3).
    pub(super) fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.evict_to(capacity);
    }

    /// Adds an entry at the newest end (RFC 7541 §4.4): first evicts until it
    /// fits; an entry larger than the whole table empties it and is dropped.
    pub(super) fn insert(&mut self, name: Bytes, value: Bytes) {
        let size = entry_size(&name, &value);
        if size > self.capacity {
            self.entries.clear();
            self.size = 0;
            return;
        }
        self.evict_to(self.capacity - size);
        self.size += size;
        self.entries.push_front((name, value));
    }

    fn evict_to(&mut self, target: usize) {
        while self.size > target {
            match self.entries.pop_back() {
                Some((name, value)) => self.size -= entry_size(&name, &value),
                None => {
                    self.size = 0;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn insert_evicts_oldest_first() {
        // Each entry is 1 + 1 + 32 = 34 octets; three fit in 110.
        let mut table = DynamicTable::new(110);
        for s in ["a", "b", "c", "d"] {
            table.insert(b(s), b(s));
        }
        assert_eq!(table.size(), 102);
        assert_eq!(table.get(0).unwrap().0, "d");
        assert_eq!(table.get(2).unwrap().0, "b");
        assert!(table.get(3).is_none());
    }

    #[test]
    fn oversized_entry_empties_the_table() {
        let mut table = DynamicTable::new(40);
        table.insert(b("a"), b("b"));
        assert_eq!(table.size(), 34);
        table.insert(b("name"), b("value"));
        assert_eq!(table.size(), 0);
        assert!(table.get(0).is_none());
    }

    #[test]
    fn shrinking_evicts_and_zero_empties() {
        let mut table = DynamicTable::new(4096);
        table.insert(b("a"), b("1"));
        table.insert(b("b"), b("2"));
        table.set_capacity(40);
        assert_eq!(table.size(), 34);
        assert_eq!(table.get(0).unwrap().0, "b");
        table.set_capacity(0);
        assert_eq!(table.size(), 0);
        assert_eq!(table.capacity(), 0);
    }
}
