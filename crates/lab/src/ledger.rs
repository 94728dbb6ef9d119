//! What the lab did, counted: the only honest way for a test to prove that
//! no request was processed twice is to ask the server.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The request header whose value identifies a logical request across
/// retries. Requests without it are counted but not tracked by id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Counters and the per-request-id processing counts of one lab server.
#[derive(Debug, Default)]
pub struct Ledger {
    by_id: Mutex<HashMap<String, u32>>,
    refused_ids: Mutex<HashSet<String>>,
    processed: AtomicU64,
    refused: AtomicU64,
    ignored: AtomicU64,
    connections: AtomicU64,
    go_aways: AtomicU64,
}

/// A point-in-time copy of a [`Ledger`]'s counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LedgerStats {
    /// Requests handed to a route (the server acted on them).
    pub processed: u64,
    /// Requests refused without processing (RST_STREAM REFUSED_STREAM).
    pub refused: u64,
    /// Requests ignored because they arrived above a GOAWAY's last id, or
    /// were cut off before processing.
    pub ignored: u64,
    /// Connections accepted.
    pub connections: u64,
    /// GOAWAY frames sent.
    pub go_aways: u64,
}

impl Ledger {
    /// A request was processed; `id` is its `x-request-id`, if any.
    pub fn processed(&self, id: Option<&str>) {
        self.processed.fetch_add(1, Ordering::Relaxed);
        if let Some(id) = id {
            let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
            *map.entry(id.to_owned()).or_insert(0) += 1;
        }
    }

    /// A request was refused with REFUSED_STREAM.
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Records that the request `id` is about to be refused by a scenario's
    /// rule, and says whether this is its first such refusal.
    pub fn first_refusal(&self, id: &str) -> bool {
        let mut set = self.refused_ids.lock().unwrap_or_else(|e| e.into_inner());
        set.insert(id.to_owned())
    }

    /// A request was ignored (above last_stream_id, or cut off).
    pub fn ignored(&self) {
        self.ignored.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection was accepted.
    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A GOAWAY was sent.
    pub fn go_away(&self) {
        self.go_aways.fetch_add(1, Ordering::Relaxed);
    }

    /// Takes the per-id counts gathered so far, leaving the ledger's map
    /// empty (the totals stay): a long run (a soak) moves them into its own
    /// books as it goes, so the lab's memory does not grow with every id.
    /// A request processed later is counted in the next take.
    pub fn take_counts(&self) -> HashMap<String, u32> {
        let mut map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *map)
    }

    /// How many times the request with this id was processed.
    pub fn count(&self, id: &str) -> u32 {
        let map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).copied().unwrap_or(0)
    }

    /// Every request id processed more than once, with its count.
    pub fn duplicates(&self) -> Vec<(String, u32)> {
        let map = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let mut dups: Vec<_> = map.iter().filter(|(_, n)| **n > 1).map(|(k, n)| (k.clone(), *n)).collect();
        dups.sort();
        dups
    }

    /// The counters now.
    pub fn stats(&self) -> LedgerStats {
        LedgerStats {
            processed: self.processed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            ignored: self.ignored.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            go_aways: self.go_aways.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_id_and_finds_duplicates() {
        let l = Ledger::default();
        l.processed(Some("a"));
        l.processed(Some("b"));
        l.processed(Some("a"));
        l.processed(None);
        assert_eq!(l.count("a"), 2);
        assert_eq!(l.count("c"), 0);
        assert_eq!(l.duplicates(), vec![("a".to_string(), 2)]);
        assert_eq!(l.stats().processed, 4);
    }
}
