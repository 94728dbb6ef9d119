//! The static table (RFC 7541 §2.3.1, Appendix A) and the encoder's lookup
//! into it.
//!
//! The lookup is a compile-time perfect hash over the distinct names: a few
//! sampled octets pick one of 256 slots, and a slot holds the range of table
//! entries with that name, so a lookup is one hash, one name comparison and a
//! scan over at most 7 values (`:status`).

/// Number of entries; dynamic indices start right after (RFC 7541 §2.3.3).
pub(super) const LEN: usize = 61;

/// RFC 7541 Appendix A. Index `i` (1-based) is `ENTRIES[i - 1]`.
pub(super) const ENTRIES: [(&[u8], &[u8]); LEN] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// The entry at a 1-based static index, if it is one.
pub(super) fn get(index: usize) -> Option<&'static (&'static [u8], &'static [u8])> {
    ENTRIES.get(index.checked_sub(1)?)
}

/// What the static table has for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StaticMatch {
    /// The lowest index with this name.
    pub(super) name: usize,
    /// The index with this name and value, if any.
    pub(super) field: Option<usize>,
}

/// Looks a field up: `None` when the name is not in the static table.
pub(super) fn find(name: &[u8], value: &[u8]) -> Option<StaticMatch> {
    let (first, count) = SLOTS[slot(SEED, name)];
    if count == 0 {
        return None;
    }
    let first = usize::from(first);
    let group = &ENTRIES[first..first + usize::from(count)];
    if group[0].0 != name {
        return None;
    }
    let field = group.iter().position(|&(_, v)| v == value).map(|i| first + i + 1);
    Some(StaticMatch { name: first + 1, field })
}

const SLOT_BITS: u32 = 8;

/// The slot of `name` for a given seed: a multiplicative hash of the length
/// and the first, middle and last octets.
const fn slot(seed: u32, name: &[u8]) -> usize {
    const K: u32 = 0x9e37_79b1;
    let len = name.len();
    let mut h = seed ^ (len as u32);
    if len > 0 {
        h = (h ^ name[0] as u32).wrapping_mul(K);
        h = (h ^ name[len / 2] as u32).wrapping_mul(K);
        h = (h ^ name[len - 1] as u32).wrapping_mul(K);
    }
    h = h.wrapping_mul(K);
    (h >> (32 - SLOT_BITS)) as usize
}

const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Slot contents: (0-based first entry, number of entries with the name).
type Slots = [(u8, u8); 1 << SLOT_BITS];

/// Finds the first seed under which the distinct names do not collide.
const fn build() -> (u32, Slots) {
    let mut seed = 0u32;
    loop {
        let mut slots: Slots = [(0, 0); 1 << SLOT_BITS];
        let mut ok = true;
        let mut i = 0;
        while i < LEN {
            let name = ENTRIES[i].0;
            let s = slot(seed, name);
            let (first, count) = slots[s];
            if count == 0 {
                slots[s] = (i as u8, 1);
            } else if same(ENTRIES[first as usize].0, name) {
                // Entries with one name are adjacent in Appendix A.
                assert!(first as usize + count as usize == i);
                slots[s] = (first, count + 1);
            } else {
                ok = false;
                break;
            }
            i += 1;
        }
        if ok {
            return (seed, slots);
        }
        seed += 1;
    }
}

const BUILT: (u32, Slots) = build();
const SEED: u32 = BUILT.0;
static SLOTS: Slots = BUILT.1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_found() {
        for (i, &(name, value)) in ENTRIES.iter().enumerate() {
            let m = find(name, value).unwrap();
            assert_eq!(m.field, Some(i + 1), "{}", String::from_utf8_lossy(name));
            assert_eq!(ENTRIES[m.name - 1].0, name);
            assert!(m.name <= i + 1);
            assert_eq!(get(i + 1), Some(&(name, value)));
        }
    }

    #[test]
    fn names_values_and_misses() {
        assert_eq!(find(b":status", b"418"), Some(StaticMatch { name: 8, field: None }));
        assert_eq!(find(b":status", b"500").unwrap().field, Some(14));
        assert_eq!(find(b"user-agent", b"x").unwrap().name, 58);
        for miss in [&b""[..], b"x-custom", b":authorit", b":authorityy", b"Age", b"via "] {
            assert_eq!(find(miss, b""), None);
        }
        assert_eq!(get(0), None);
        assert_eq!(get(62), None);
        assert_eq!(get(2), Some(&(&b":method"[..], &b"GET"[..])));
    }
}
