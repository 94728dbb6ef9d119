//! The response field names and values a connection has already checked
//! and made `http` types of, for HTTP/1.1 (RFC 9110 §5, RFC 9112 §5) and
//! HTTP/2 (RFC 9113 §8.2) alike.
//!
//! A server sends mostly the same fields in every response: nginx sends
//! `server`, `date`, `content-type`, `content-length`, `last-modified`,
//! `etag` and `accept-ranges`, most with the very same values. Checking a
//! name (HTTP/2: lowercase, not connection-specific), looking it up among
//! the standard names (HTTP/1.1: case-folded) and checking every octet of
//! a value costs more than comparing them with the ones seen before; a
//! match hands out the earlier `HeaderName` and `HeaderValue` (a copy of a
//! standard name, or a reference count).
//!
//! Names are compared as sent (`Content-Type` over HTTP/1.1 is another
//! slot than `content-type`, each mapped to the same `HeaderName`). The
//! memory is bounded: [`SLOTS`] names of up to [`MAX_NAME`] octets with one
//! value each, values up to [`MAX_VALUE`] octets. Once the slots are taken,
//! new names are not kept: replacing names in turn would make a server that
//! sends more distinct names than there are slots miss on every field, each
//! miss now paying for a copy; kept as they are, the first names (the ones
//! every response carries come first) keep hitting, and the others cost what
//! they did without this. A value is kept as a
//! copy of its own (a slice of the read buffer would keep the whole buffer
//! alive); one that changes with every response (a request id) is copied
//! once, then no more until it repeats. Sensitive fields (HPACK's never
//! indexed, RFC 7541 §6.2.3) are never kept.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};

/// Names kept: more than the distinct field names of most servers'
/// responses.
const SLOTS: usize = 32;

/// Longer names are checked every time.
const MAX_NAME: usize = 64;

/// Longer values are checked every time.
const MAX_VALUE: usize = 128;

#[derive(Debug, Default)]
pub(crate) struct KnownFields {
    slots: Vec<Slot>,
    /// The slot after the last one found: responses list their fields in
    /// the same order, so it is tried first.
    hint: usize,
    /// Keeps nothing: for one response alone, where a copy kept would
    /// never be used.
    off: bool,
}

#[derive(Debug)]
struct Slot {
    /// The name's octets as sent.
    sent: Box<[u8]>,
    name: HeaderName,
    value: Option<HeaderValue>,
    /// The last lookup of this name's value did not match the one kept:
    /// the next miss is not copied.
    missed: bool,
}

impl KnownFields {
    /// One that keeps nothing (see [`Self::off`]).
    pub(crate) fn off() -> Self {
        Self { off: true, ..Self::default() }
    }

    /// The slot of the name sent as `sent`, checked before on this
    /// connection, and its `HeaderName`.
    pub(crate) fn find(&mut self, sent: &[u8]) -> Option<(usize, HeaderName)> {
        let same = |s: &Slot| *s.sent == *sent;
        let i = match self.slots.get(self.hint) {
            Some(s) if same(s) => self.hint,
            _ => self.slots.iter().position(same)?,
        };
        self.hint = i + 1;
        Some((i, self.slots[i].name.clone()))
    }

    /// Keeps `name`, sent as `sent`, which passed every check; returns its
    /// slot (`None` for a name too long to keep, or when every slot is
    /// taken).
    pub(crate) fn add(&mut self, sent: &[u8], name: HeaderName) -> Option<usize> {
        if self.off || sent.len() > MAX_NAME || self.slots.len() >= SLOTS {
            return None;
        }
        self.slots.push(Slot { sent: sent.into(), name, value: None, missed: false });
        let i = self.slots.len() - 1;
        self.hint = i + 1;
        Some(i)
    }

    /// The value kept in `slot` if it is exactly `value`: it passed every
    /// check of the caller's when it was first seen, so none need run
    /// again (and a value that failed one is never kept).
    pub(crate) fn kept(&mut self, slot: Option<usize>, value: &[u8]) -> Option<HeaderValue> {
        let slot = self.slots.get_mut(slot?)?;
        let kept = slot.value.as_ref().filter(|v| v.as_bytes() == value)?.clone();
        slot.missed = false;
        Some(kept)
    }

    /// The field value `value` of the name in `slot`, one that
    /// [`Self::kept`] did not hand out, checked: made from `owned()` (the
    /// same octets, sharing the caller's buffer) or from a copy, which is
    /// then kept (see [`Self::keeps`]). `None` for a value that is not a
    /// valid field value.
    pub(crate) fn value(
        &mut self,
        slot: Option<usize>,
        value: &[u8],
        owned: impl FnOnce() -> Bytes,
    ) -> Option<HeaderValue> {
        let keep = slot.filter(|&i| self.keeps(i, value.len()));
        let bytes = if keep.is_some() { Bytes::copy_from_slice(value) } else { owned() };
        let checked = HeaderValue::from_maybe_shared(bytes).ok()?;
        if let Some(slot) = keep.and_then(|i| self.slots.get_mut(i)) {
            slot.value = Some(checked.clone());
        }
        Some(checked)
    }

    /// After [`Self::kept`] found no match in slot `i`: whether the new
    /// value, `len` octets, is to be copied and kept there.
    fn keeps(&mut self, i: usize, len: usize) -> bool {
        let Some(slot) = self.slots.get_mut(i) else { return false };
        if len > MAX_VALUE || slot.missed {
            return false;
        }
        slot.missed = slot.value.is_some();
        true
    }

    /// What slot `i` will hand the next response (for tests).
    #[cfg(test)]
    fn kept_in(&self, i: usize) -> Option<&HeaderValue> {
        self.slots.get(i)?.value.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(known: &mut KnownFields, name: &'static str) -> usize {
        known.add(name.as_bytes(), HeaderName::from_static(name)).unwrap()
    }

    fn slot(known: &mut KnownFields, sent: &[u8]) -> Option<usize> {
        known.find(sent).map(|(i, _)| i)
    }

    /// As the parsers ask: the kept value, else a checked one.
    fn value(known: &mut KnownFields, i: Option<usize>, v: &'static [u8]) -> Option<HeaderValue> {
        known.kept(i, v).or_else(|| known.value(i, v, || Bytes::from_static(v)))
    }

    #[test]
    fn names_are_found_wherever_they_are() {
        let mut known = KnownFields::default();
        let a = add(&mut known, "server");
        let b = add(&mut known, "x-custom");
        assert_eq!(slot(&mut known, b"server"), Some(a));
        assert_eq!(known.find(b"x-custom"), Some((b, HeaderName::from_static("x-custom"))));
        assert_eq!(slot(&mut known, b"server"), Some(a), "not only the hinted slot");
        assert_eq!(slot(&mut known, b"serve"), None);
        assert_eq!(slot(&mut known, b"SERVER"), None, "octets as sent, not case-folded");
        // HTTP/1.1 sends names in any case: each spelling has its slot.
        let c = known.add(b"Content-Type", http::header::CONTENT_TYPE).unwrap();
        assert_eq!(known.find(b"Content-Type"), Some((c, http::header::CONTENT_TYPE)));
        assert_eq!(slot(&mut known, b"content-type"), None);
        assert_eq!(known.add(&[b'x'; MAX_NAME + 1], HeaderName::from_static("x")), None, "too long to keep");
        assert_eq!(KnownFields::off().add(b"a", HeaderName::from_static("a")), None);
    }

    #[test]
    fn names_are_bounded_and_the_first_ones_kept() {
        let mut known = KnownFields::default();
        let names: Vec<HeaderName> =
            (0..SLOTS + 2).map(|n| HeaderName::from_bytes(format!("x-{n}").as_bytes()).unwrap()).collect();
        for (i, n) in names.iter().enumerate() {
            let slot = known.add(n.as_str().as_bytes(), n.clone());
            assert_eq!(slot, (i < SLOTS).then_some(i), "{n}");
        }
        assert_eq!(known.slots.len(), SLOTS);
        assert_eq!(slot(&mut known, b"x-0"), Some(0), "kept: a later name does not push it out");
        assert_eq!(slot(&mut known, format!("x-{}", SLOTS - 1).as_bytes()), Some(SLOTS - 1));
        assert_eq!(slot(&mut known, format!("x-{SLOTS}").as_bytes()), None, "not kept: the slots were taken");
    }

    #[test]
    fn a_repeated_value_is_handed_out_again() {
        let mut known = KnownFields::default();
        let i = add(&mut known, "etag");
        assert_eq!(known.kept(Some(i), b"\"abc\""), None);
        let v = value(&mut known, Some(i), b"\"abc\"").unwrap();
        assert_eq!(v, "\"abc\"");
        assert_eq!(known.kept(Some(i), b"\"abc\""), Some(v.clone()));
        assert_eq!(known.kept(Some(i), b"\"abd\""), None);
        assert_eq!(known.kept(None, b"\"abc\""), None, "no slot, nothing kept");
    }

    #[test]
    fn a_value_that_always_changes_is_copied_once() {
        let mut known = KnownFields::default();
        let i = add(&mut known, "x-request-id");
        value(&mut known, Some(i), b"1").unwrap();
        value(&mut known, Some(i), b"2").unwrap();
        assert_eq!(known.kept_in(i).map(HeaderValue::as_bytes), Some(&b"2"[..]), "the first change is kept");
        value(&mut known, Some(i), b"3").unwrap();
        assert_eq!(
            known.kept_in(i).map(HeaderValue::as_bytes),
            Some(&b"2"[..]),
            "a second miss in a row is not"
        );
        // A value that repeats is kept again, as `date` changes each second.
        assert_eq!(value(&mut known, Some(i), b"2").unwrap(), "2");
        value(&mut known, Some(i), b"4").unwrap();
        assert_eq!(known.kept_in(i).map(HeaderValue::as_bytes), Some(&b"4"[..]));
    }

    #[test]
    fn invalid_and_long_values_are_not_kept() {
        let mut known = KnownFields::default();
        let i = add(&mut known, "x");
        assert!(value(&mut known, Some(i), b"a\nb").is_none());
        assert!(known.kept_in(i).is_none());
        let long = vec![b'a'; MAX_VALUE + 1];
        assert!(known.value(Some(i), &long, || Bytes::from(long.clone())).is_some());
        assert!(known.kept_in(i).is_none());
        assert!(value(&mut known, None, b"ok").is_some());
        assert!(known.kept_in(i).is_none(), "no slot, nothing kept");
    }
}
