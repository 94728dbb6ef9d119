//! How much room a connection driver makes in its read buffer before each
//! read. Both drivers read straight into their engine's buffer; this decides
//! how large that buffer grows.

use bytes::BytesMut;

/// The room to make before a read, adapted to what the reads bring.
///
/// It starts small, so a connection carrying small responses holds a few
/// KiB, not a large buffer it never fills. A read that fills all the room
/// it had doubles it (up to a maximum), so large bodies come in large
/// reads, with fewer syscalls. Two reads in a row that use under a quarter
/// of it halve it again (down to [`Self::MIN`]), so a connection that once
/// carried a large body does not keep the large buffer for good.
///
/// The buffer is only reserved, never copied here: what the engine has not
/// consumed stays, and a chunk whose bytes a response body still holds is
/// freed when that body is (`bytes` reference counting).
#[derive(Debug)]
pub(crate) struct ReadRoom {
    room: usize,
    max: usize,
    small_reads: u8,
}

impl ReadRoom {
    pub(crate) const MIN: usize = 8 << 10;

    /// Room from [`Self::MIN`] up to `max`.
    pub(crate) fn up_to(max: usize) -> Self {
        Self { room: Self::MIN, max: max.max(Self::MIN), small_reads: 0 }
    }

    /// Makes room in `buf` for the next read, when less than half the
    /// current room is spare. Returns the spare capacity, for [`Self::read`].
    pub(crate) fn prepare(&self, buf: &mut BytesMut) -> usize {
        if buf.capacity() - buf.len() < self.room / 2 {
            buf.reserve(self.room);
        }
        buf.capacity() - buf.len()
    }

    /// Records a read of `n` bytes into `spare` bytes of room.
    pub(crate) fn read(&mut self, n: usize, spare: usize) {
        if n >= spare {
            self.room = (self.room * 2).min(self.max);
            self.small_reads = 0;
        } else if n < self.room / 4 {
            self.small_reads += 1;
            if self.small_reads == 2 {
                self.room = (self.room / 2).max(Self::MIN);
                self.small_reads = 0;
            }
        } else {
            self.small_reads = 0;
        }
    }

    #[cfg(test)]
    fn room(&self) -> usize {
        self.room
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_reads_double_the_room_up_to_the_maximum() {
        let mut r = ReadRoom::up_to(256 << 10);
        let mut buf = BytesMut::new();
        let mut rooms = Vec::new();
        for _ in 0..8 {
            let spare = r.prepare(&mut buf);
            assert!(spare >= r.room() / 2, "prepare left {spare} for a room of {}", r.room());
            r.read(spare, spare);
            buf.clear();
            rooms.push(r.room() >> 10);
        }
        assert_eq!(rooms, [16, 32, 64, 128, 256, 256, 256, 256]);
    }

    #[test]
    fn two_small_reads_in_a_row_halve_it_down_to_the_minimum() {
        let mut r = ReadRoom { room: 256 << 10, max: 256 << 10, small_reads: 0 };
        r.read(100, 200_000);
        assert_eq!(r.room(), 256 << 10, "one small read changes nothing");
        r.read(100_000, 200_000);
        r.read(100, 200_000);
        assert_eq!(r.room(), 256 << 10, "a read in between starts the count again");
        let mut rooms = Vec::new();
        for _ in 0..12 {
            r.read(100, 200_000);
            rooms.push(r.room() >> 10);
        }
        assert_eq!(rooms, [128, 128, 64, 64, 32, 32, 16, 16, 8, 8, 8, 8]);
    }

    #[test]
    fn room_is_made_only_when_under_half_is_spare() {
        let r = ReadRoom::up_to(256 << 10);
        let mut buf = BytesMut::with_capacity(ReadRoom::MIN);
        buf.extend_from_slice(&[0; 1000]);
        let cap = buf.capacity();
        assert_eq!(r.prepare(&mut buf), cap - 1000, "over half spare: no reserve");
        buf.extend_from_slice(&vec![0; cap - 1000 - 100]);
        let spare = r.prepare(&mut buf);
        assert!(spare >= ReadRoom::MIN, "under half spare: a full room is reserved ({spare})");
        assert_eq!(buf.len(), cap - 100, "the unread bytes stay");
    }
}
