//! Response header maps kept for reuse, per thread.
//!
//! Every response head becomes an `http::HeaderMap`, and a map for 7 to 12
//! fields holds its entries in one 1,248-byte block (12 buckets of 104
//! bytes). That is past the sizes glibc's per-thread cache serves (1,032
//! bytes), so each head took the allocator's slow path: a large-bin search,
//! often after consolidating the fast bins (callgrind, HTTP/1.1 at 64 in
//! flight: about 1,100 instructions per response between the allocation,
//! the free and the consolidation). hyper keeps one map per connection
//! for the same reason (`cached_headers`); a client's maps leave with the
//! response, so here they come back when the response is dropped.
//!
//! A map comes back cleared, with its capacity: [`take`] hands out one of
//! the thread's spares, or a new map. A [`Spare`] around a response's map
//! gives it back when dropped ([`give`]). Each thread keeps at most 64
//! maps, of at most 24 fields each (a map grown for a response with many
//! fields is freed, not kept), so a thread that only drops responses holds
//! at most about 85 KiB.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use http::HeaderMap;

/// Maps kept per thread: one for each of 64 responses in flight, which on
/// one runtime thread are parsed in a batch and then dropped in a batch.
const KEEP: usize = 64;

/// A map that can hold more fields than this is not kept.
const MAX_CAPACITY: usize = 24;

thread_local! {
    static SPARES: RefCell<Vec<HeaderMap>> = const { RefCell::new(Vec::new()) };
}

/// An empty map with room for `fields` fields: one this thread kept, or a
/// new one.
#[must_use]
pub fn take(fields: usize) -> HeaderMap {
    let spare = SPARES.try_with(|s| s.try_borrow_mut().ok()?.pop()).ok().flatten();
    match spare {
        Some(mut map) => {
            map.reserve(fields);
            map
        }
        None => HeaderMap::with_capacity(fields),
    }
}

/// Keeps `map`, cleared, for a later [`take`] on this thread, unless the
/// thread keeps enough already or the map is too large to be worth it.
pub fn give(mut map: HeaderMap) {
    if map.capacity() == 0 || map.capacity() > MAX_CAPACITY {
        return;
    }
    map.clear();
    // During thread teardown, or re-entered from a value's drop: the map is
    // freed as it would have been.
    let _ = SPARES.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if s.len() < KEEP {
                s.push(map);
            }
        }
    });
}

/// A header map that goes back to [`give`] when dropped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Spare(HeaderMap);

impl Spare {
    /// The map, to keep: it is not given back.
    #[must_use]
    pub fn into_inner(mut self) -> HeaderMap {
        std::mem::take(&mut self.0)
    }
}

impl From<HeaderMap> for Spare {
    fn from(map: HeaderMap) -> Self {
        Self(map)
    }
}

impl Deref for Spare {
    type Target = HeaderMap;
    fn deref(&self) -> &HeaderMap {
        &self.0
    }
}

impl DerefMut for Spare {
    fn deref_mut(&mut self) -> &mut HeaderMap {
        &mut self.0
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{CONTENT_LENGTH, SERVER};

    #[test]
    fn a_given_map_comes_back_empty_with_its_room() {
        let mut map = take(8);
        map.append(SERVER, "nginx".parse().unwrap());
        map.append(CONTENT_LENGTH, "100".parse().unwrap());
        let room = map.capacity();
        drop(Spare::from(map));
        let again = take(8);
        assert!(again.is_empty());
        assert_eq!(again.capacity(), room, "the same map, not a new one");
    }

    #[test]
    fn kept_maps_are_bounded_in_number_and_size() {
        std::thread::spawn(|| {
            for _ in 0..KEEP + 10 {
                give(HeaderMap::with_capacity(8));
            }
            give(HeaderMap::with_capacity(MAX_CAPACITY * 4));
            let kept = SPARES.with(|s| s.borrow().len());
            assert_eq!(kept, KEEP);
            let big = SPARES.with(|s| s.borrow().iter().any(|m| m.capacity() > MAX_CAPACITY));
            assert!(!big);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_map_taken_out_is_not_given_back() {
        std::thread::spawn(|| {
            let spare = Spare::from(HeaderMap::with_capacity(8));
            let map = spare.into_inner();
            assert_eq!(SPARES.with(|s| s.borrow().len()), 0);
            assert!(map.capacity() >= 8);
        })
        .join()
        .unwrap();
    }
}
