//! Flow-control windows (RFC 9113 §5.2, §6.9).

use super::frame::MAX_WINDOW_SIZE;

/// A flow-control window. Signed because RFC 9113 §6.9.2 lets a change of
/// SETTINGS_INITIAL_WINDOW_SIZE drive a send window below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window(i64);

impl Window {
    pub(crate) fn new(size: u32) -> Self {
        Self(i64::from(size))
    }

    /// Bytes that may be sent (or received) now.
    pub(crate) fn available(self) -> u32 {
        self.0.clamp(0, i64::from(MAX_WINDOW_SIZE)) as u32
    }

    /// Applies a WINDOW_UPDATE increment or a settings delta. RFC 9113 §6.9.1:
    /// a window above 2^31-1 is a FLOW_CONTROL_ERROR, reported as `Err`.
    pub(crate) fn grow(&mut self, delta: i64) -> Result<(), ()> {
        let next = self.0 + delta;
        if next > i64::from(MAX_WINDOW_SIZE) {
            return Err(());
        }
        self.0 = next;
        Ok(())
    }

    /// Spends `n` bytes. The caller has checked `available()` when sending;
    /// on receive, `Err` means the peer overran the window (§6.9.1).
    pub(crate) fn consume(&mut self, n: u32) -> Result<(), ()> {
        if i64::from(n) > self.0 {
            return Err(());
        }
        self.0 -= i64::from(n);
        Ok(())
    }
}

/// The receive side of one window: what the peer may still send, and what
/// the application has released but we have not yet announced.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecvWindow {
    window: Window,
    /// The window size we aim to keep open.
    target: u32,
    /// Released by the application, not yet sent in a WINDOW_UPDATE.
    pending: u32,
}

impl RecvWindow {
    pub(crate) fn new(initial: u32, target: u32) -> Self {
        Self { window: Window::new(initial), target, pending: 0 }
    }

    /// The peer sent `n` flow-controlled bytes.
    pub(crate) fn recv(&mut self, n: u32) -> Result<(), ()> {
        self.window.consume(n)
    }

    /// The application is done with `n` bytes. Returns the increment to
    /// announce now, if any: updates are batched until half the target
    /// window is pending, so a stream of small frames does not cause a
    /// WINDOW_UPDATE each.
    pub(crate) fn release(&mut self, n: u32) -> Option<u32> {
        self.pending = self.pending.saturating_add(n);
        let open = self.window.available();
        if self.pending >= self.target / 2 || open < self.target / 4 {
            let inc = self.pending.min(MAX_WINDOW_SIZE - open);
            self.pending = 0;
            if inc == 0 {
                return None;
            }
            // Cannot fail: `inc` keeps the window at or below MAX_WINDOW_SIZE.
            let _ = self.window.grow(i64::from(inc));
            Some(inc)
        } else {
            None
        }
    }

    /// Raises the window to `target` at once (used for the connection window
    /// right after the preface). Returns the increment to announce.
    pub(crate) fn open_to_target(&mut self) -> Option<u32> {
        let open = self.window.available();
        let inc = self.target.saturating_sub(open);
        if inc == 0 {
            return None;
        }
        let _ = self.window.grow(i64::from(inc));
        Some(inc)
    }

    #[cfg(test)]
    pub(crate) fn available(&self) -> u32 {
        self.window.available()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_overflow_is_an_error() {
        let mut w = Window::new(MAX_WINDOW_SIZE);
        assert!(w.grow(1).is_err());
        assert!(w.grow(0).is_ok());
    }

    #[test]
    fn window_may_go_negative_by_settings_delta() {
        let mut w = Window::new(100);
        w.grow(-200).unwrap();
        assert_eq!(w.available(), 0);
        w.grow(150).unwrap();
        assert_eq!(w.available(), 50);
    }

    #[test]
    fn receive_beyond_window_is_an_error() {
        let mut r = RecvWindow::new(10, 10);
        r.recv(10).unwrap();
        assert!(r.recv(1).is_err());
    }

    #[test]
    fn releases_are_batched() {
        let mut r = RecvWindow::new(1000, 1000);
        r.recv(1000).unwrap();
        // Window is empty: below a quarter of target, so any release goes out.
        assert_eq!(r.release(10), Some(10));
        let mut r = RecvWindow::new(1000, 1000);
        r.recv(100).unwrap();
        assert_eq!(r.release(100), None);
        r.recv(400).unwrap();
        assert_eq!(r.release(400), Some(500));
        assert_eq!(r.available(), 1000);
    }
}
