//! The write side both engines share: bytes appended to one reusable
//! buffer, handed to the driver with or without a copy, and counted as
//! written only when the driver confirms it (which is what moves a request's
//! journal, DESIGN.md §2).

use bytes::{Buf, Bytes, BytesMut};

/// Where the connection's outgoing byte stream stands.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Transmitted {
    /// Bytes handed out by `take`, not yet confirmed.
    taken: usize,
    /// Bytes confirmed written since the connection started.
    written: u64,
}

impl Transmitted {
    /// Hands the whole buffer out as `Bytes`, without a copy.
    pub(crate) fn take(&mut self, buf: &mut BytesMut) -> Bytes {
        let out = buf.split().freeze();
        self.taken += out.len();
        out
    }

    /// The transport accepted `n` more bytes: first of what `take` handed
    /// out, then from the front of `buf`. Returns the new written total.
    pub(crate) fn confirm(&mut self, buf: &mut BytesMut, n: usize) -> u64 {
        let from_taken = n.min(self.taken);
        self.taken -= from_taken;
        let from_buf = (n - from_taken).min(buf.len());
        buf.advance(from_buf);
        if buf.is_empty() {
            // Reuse the allocation from the start.
            buf.clear();
        }
        self.written += (from_taken + from_buf) as u64;
        self.written
    }

    /// Bytes confirmed written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Offset in the outgoing stream of the first byte still in the buffer.
    pub(crate) fn base(&self) -> u64 {
        self.written + self.taken as u64
    }

    /// Bytes handed out by `take` and not yet confirmed.
    pub(crate) fn taken(&self) -> usize {
        self.taken
    }

    /// Withdraws every unconfirmed byte from stream offset `at` on: those
    /// still in `buf`, and those handed out (whose holder must then write
    /// only the first [`Self::taken`] of them).
    pub(crate) fn withdraw_from(&mut self, buf: &mut BytesMut, at: u64) {
        let at = at.max(self.written);
        let base = self.base();
        if at <= base {
            self.taken = (at - self.written) as usize;
            buf.clear();
        } else {
            let keep = usize::try_from(at - base).unwrap_or(usize::MAX);
            buf.truncate(keep);
        }
    }

    /// Bytes queued and not confirmed, given the buffer's length.
    pub(crate) fn unconfirmed(&self, buffered: usize) -> usize {
        self.taken + buffered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_bytes_are_confirmed_before_buffered_ones() {
        let mut t = Transmitted::default();
        let mut buf = BytesMut::from(&b"abcdef"[..]);
        let out = t.take(&mut buf);
        assert_eq!(&out[..], b"abcdef");
        buf.extend_from_slice(b"gh");
        assert_eq!((t.base(), t.unconfirmed(buf.len())), (6, 8));
        assert_eq!(t.confirm(&mut buf, 4), 4);
        assert_eq!(&buf[..], b"gh", "the buffer is untouched while taken bytes remain");
        assert_eq!(t.confirm(&mut buf, 3), 7);
        assert_eq!(&buf[..], b"h");
        assert_eq!(t.confirm(&mut buf, 100), 8, "never more than was queued");
    }

    #[test]
    fn withdrawing_cuts_handed_out_and_buffered_bytes() {
        let mut t = Transmitted::default();
        let mut buf = BytesMut::from(&b"abcdef"[..]);
        let _ = t.take(&mut buf);
        buf.extend_from_slice(b"ghij");
        t.confirm(&mut buf, 2);
        t.withdraw_from(&mut buf, 8);
        assert_eq!((t.taken(), &buf[..]), (4, &b"gh"[..]), "only the buffer is cut");
        t.withdraw_from(&mut buf, 3);
        assert_eq!((t.taken(), buf.len()), (1, 0), "into the handed-out bytes");
        t.withdraw_from(&mut buf, 0);
        assert_eq!(t.taken(), 0, "never before what was written");
        assert_eq!(t.written(), 2);
    }
}
