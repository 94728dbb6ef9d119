//! Connection-level flow-control credit handed back by responses whose
//! bodies have ended, kept beside the connection instead of sent to its
//! driver as a command each.
//!
//! A body that has ended holds no stream window any more (RFC 9113 §6.9:
//! an update for a stream the peer has closed is pointless); what its reader
//! hands back only reopens the connection's window. Sent as a command, it
//! woke the driver once per response just to add a number, and on the
//! multi-thread runtime that wake-up is a cross-thread one: the reader runs
//! on the caller's thread, the driver on a worker. Here the number is added
//! to a counter, and the driver takes the counter in on its next turn
//! (every read, command or write is one). It is woken only when the counter
//! reaches a quarter of the connection's window.
//!
//! Why that cannot stall the server: the engine holds back less than half
//! the window before it announces it, and announces at once whatever is
//! handed to it while less than a quarter is open (`flow.rs` of
//! baton-proto). With less than a quarter held here, at least a quarter of
//! the window is open to the server, or something is about to be handed to
//! the engine.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The counter, and the mark at which a reader wakes the driver.
pub(super) struct ConnCredit {
    held: AtomicUsize,
    wake_at: usize,
}

impl ConnCredit {
    /// For a connection whose receive window opens to `connection_window`.
    pub(super) fn new(connection_window: u32) -> Self {
        let wake_at = usize::try_from(connection_window / 4).unwrap_or(usize::MAX).max(1);
        Self { held: AtomicUsize::new(0), wake_at }
    }

    /// Adds `n` bytes; `true` when this addition reached the mark (the
    /// caller wakes the driver: once per crossing, not for every addition
    /// after it).
    pub(super) fn add(&self, n: usize) -> bool {
        let before = self.held.fetch_add(n, Ordering::AcqRel);
        before < self.wake_at && before.saturating_add(n) >= self.wake_at
    }

    /// Takes everything held (a load first: most turns find nothing).
    pub(super) fn take(&self) -> usize {
        if self.held.load(Ordering::Acquire) == 0 {
            return 0;
        }
        self.held.swap(0, Ordering::AcqRel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_once_per_crossing_of_a_quarter_of_the_window() {
        let c = ConnCredit::new(1000);
        assert!(!c.add(100));
        assert!(!c.add(149));
        assert!(c.add(1), "250 reached the mark");
        assert!(!c.add(500), "already past it: the driver was woken");
        assert_eq!(c.take(), 750);
        assert_eq!(c.take(), 0);
        assert!(c.add(300), "a fresh count wakes again at the mark");
    }

    #[test]
    fn a_tiny_window_wakes_on_every_first_byte() {
        let c = ConnCredit::new(3);
        assert!(c.add(1));
        assert_eq!(c.take(), 1);
    }
}
