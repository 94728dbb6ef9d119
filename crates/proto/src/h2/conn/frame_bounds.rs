//! Where frames begin in the outgoing byte stream, for the one moment that
//! needs it: a connection that closes with bytes not yet confirmed written.
//!
//! Those bytes belong to streams the engine fails by what was confirmed
//! (a request whose HEADERS were queued but not written is `NotSent`, and may
//! be retried on another connection). They must therefore never reach the
//! server afterwards, or it could process a request twice. But a frame the
//! transport has started to write must be finished (RFC 9113 §4.1: the
//! stream is a sequence of whole frames), and the client preface with its
//! SETTINGS must come before anything else (§3.4), a closing GOAWAY included.
//! So the cut goes at the first frame boundary at or after the written
//! offset; [`FrameBounds::cut_point`] finds it.
//!
//! The engine's write buffer always holds whole frames behind a possibly
//! partial first one. Bytes leave it in two ways: handed out by
//! `take_transmit` (written later, confirmed by `handle_written`) or
//! confirmed straight from the buffer after `poll_transmit`. Frame headers
//! are read as the bytes leave; only the starts inside handed-out bytes not
//! yet confirmed are kept, a handful at a time.

use std::collections::VecDeque;

/// RFC 9113 §4.1: a frame is a 9-octet header (24-bit length, type, flags,
/// stream id) and a payload of that length.
const HEADER_LEN: u64 = 9;
/// §6.2, §6.10: HEADERS and CONTINUATION, and the END_HEADERS flag.
const HEADERS: u8 = 0x1;
const CONTINUATION: u8 = 0x9;
const END_HEADERS: u8 = 0x4;

#[derive(Debug)]
pub(super) struct FrameBounds {
    /// The start of the first frame not yet walked: at or after the first
    /// byte still in the write buffer.
    next: u64,
    /// Frame starts inside bytes handed out and not yet confirmed, in order.
    handed_out: VecDeque<u64>,
}

impl FrameBounds {
    /// The preface, SETTINGS and first WINDOW_UPDATE occupy the stream's
    /// first `opening` bytes and count as one unit: it is never cut.
    pub(super) fn new(opening: usize) -> Self {
        Self { next: opening as u64, handed_out: VecDeque::new() }
    }

    /// `len` bytes leave the front of `buf`, whose first byte is at stream
    /// offset `base`. With `handed_out` they go to the driver unconfirmed,
    /// and the frame starts among them are remembered.
    pub(super) fn leave(&mut self, base: u64, buf: &[u8], len: usize, handed_out: bool) {
        let end = base + len as u64;
        while self.next < end {
            if handed_out {
                self.handed_out.push_back(self.next);
            }
            // A field block is one unit: nothing may come between its
            // HEADERS and CONTINUATION frames (§6.10), so a cut never goes
            // inside it. It is queued whole, so it is all in `buf`.
            loop {
                let Some(at) = self.next.checked_sub(base).and_then(|at| usize::try_from(at).ok()) else {
                    return;
                };
                // Every frame in the buffer is whole, so its header is there.
                let Some(&[a, b, c, kind, flags]) = buf.get(at..at + 5) else { return };
                self.next += HEADER_LEN + u64::from(u32::from_be_bytes([0, a, b, c]));
                if !matches!(kind, HEADERS | CONTINUATION) || flags & END_HEADERS != 0 {
                    break;
                }
            }
        }
    }

    /// The stream was cut at `cut` (a boundary from [`Self::cut_point`]):
    /// what is queued from now on starts there.
    pub(super) fn withdrawn(&mut self, cut: u64) {
        self.next = cut;
        self.handed_out.retain(|&s| s < cut);
    }

    /// Everything before stream offset `written` is on the wire.
    pub(super) fn confirmed(&mut self, written: u64) {
        while self.handed_out.front().is_some_and(|&s| s < written) {
            self.handed_out.pop_front();
        }
    }

    /// The first frame boundary at or after `written` (the confirmed
    /// offset): bytes before it finish the frame in progress, bytes from it
    /// on are frames nobody has seen.
    pub(super) fn cut_point(&self) -> u64 {
        self.handed_out.front().copied().unwrap_or(self.next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame header for a `len`-byte payload, then the payload.
    fn frame(len: u8) -> Vec<u8> {
        typed(len, 0, 0)
    }

    fn typed(len: u8, kind: u8, flags: u8) -> Vec<u8> {
        let mut f = vec![0, 0, len, kind, flags, 0, 0, 0, 1];
        f.extend(std::iter::repeat_n(7, usize::from(len)));
        f
    }

    #[test]
    fn a_field_block_is_never_cut_between_its_frames() {
        // HEADERS without END_HEADERS (0..13), CONTINUATION (13..24), then
        // CONTINUATION with END_HEADERS (24..33), then a DATA frame.
        let buf =
            [typed(4, HEADERS, 0), typed(2, CONTINUATION, 0), typed(0, CONTINUATION, END_HEADERS), frame(1)]
                .concat();
        let mut bounds = FrameBounds::new(0);
        bounds.leave(0, &buf, 5, false);
        bounds.confirmed(5);
        assert_eq!(bounds.cut_point(), 33, "the whole block is finished");
        let mut bounds = FrameBounds::new(0);
        bounds.leave(0, &buf, buf.len(), true);
        bounds.confirmed(20);
        assert_eq!(bounds.cut_point(), 33);
    }

    #[test]
    fn after_a_cut_the_next_frame_starts_at_the_cut() {
        let buf = [frame(4), frame(4), frame(4)].concat();
        let mut bounds = FrameBounds::new(0);
        bounds.leave(0, &buf, buf.len(), true);
        bounds.confirmed(1);
        let cut = bounds.cut_point();
        assert_eq!(cut, 13);
        bounds.withdrawn(cut);
        // A GOAWAY-sized frame queued at the cut is walked from there.
        let goaway = typed(8, 0x7, 0);
        bounds.leave(cut, &goaway, goaway.len(), true);
        assert_eq!(bounds.cut_point(), 13);
        bounds.confirmed(30);
        assert_eq!(bounds.cut_point(), 30);
    }

    #[test]
    fn the_opening_is_one_unit() {
        let bounds = FrameBounds::new(30);
        assert_eq!(bounds.cut_point(), 30);
    }

    #[test]
    fn confirmed_from_the_buffer_mid_frame_cuts_after_that_frame() {
        // Two frames of 9 + 4 bytes at offsets 0 and 13.
        let buf = [frame(4), frame(4)].concat();
        let mut bounds = FrameBounds::new(0);
        bounds.leave(0, &buf, 5, false);
        bounds.confirmed(5);
        assert_eq!(bounds.cut_point(), 13, "the first frame is finished");
        bounds.leave(5, &buf[5..], 8, false);
        bounds.confirmed(13);
        assert_eq!(bounds.cut_point(), 13, "exactly on a boundary: nothing kept");
    }

    #[test]
    fn handed_out_starts_are_kept_until_confirmed() {
        let buf = [frame(4), frame(0), frame(2)].concat(); // starts 0, 13, 22; end 33
        let mut bounds = FrameBounds::new(0);
        bounds.leave(0, &buf, buf.len(), true);
        assert_eq!(bounds.cut_point(), 0, "nothing written: everything may go");
        bounds.confirmed(1);
        assert_eq!(bounds.cut_point(), 13);
        bounds.confirmed(14);
        assert_eq!(bounds.cut_point(), 22);
        bounds.confirmed(33);
        assert_eq!(bounds.cut_point(), 33, "all written: the next frame starts at the end");
    }

    #[test]
    fn a_buffer_that_starts_mid_frame_is_walked_from_the_next_start() {
        let buf = [frame(4), frame(4)].concat();
        let mut bounds = FrameBounds::new(0);
        bounds.leave(0, &buf, 3, false);
        bounds.confirmed(3);
        // The rest (offset 3 on) is handed out whole.
        bounds.leave(3, &buf[3..], buf.len() - 3, true);
        assert_eq!(bounds.cut_point(), 13);
        bounds.confirmed(20);
        assert_eq!(bounds.cut_point(), 26);
    }
}
