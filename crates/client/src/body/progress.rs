//! How far connections have read a streaming body: what the request's
//! write timeout (`Timeouts::write`) watches, without taking the body's
//! lock.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// How far connections have read a streaming body: a count of the reads
/// (each one the connection asking for more), and whether one reached the
/// end. The request's write timeout watches it without taking the body's
/// lock.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pulls: AtomicU64,
    ended: AtomicBool,
    /// A reader is waiting on the body's own source (the application),
    /// not on the connection.
    asking: AtomicBool,
}

impl Progress {
    /// Reads so far.
    pub(crate) fn pulls(&self) -> u64 {
        self.pulls.load(Ordering::Relaxed)
    }

    /// True once a reader got to the end of the body.
    pub(crate) fn ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// True while a reader waits on the body's source: the connection is
    /// not the one holding the body up.
    pub(crate) fn waiting_on_source(&self) -> bool {
        self.asking.load(Ordering::Relaxed)
    }

    pub(super) fn asking(&self, yes: bool) {
        self.asking.store(yes, Ordering::Relaxed);
    }

    pub(super) fn pulled(&self, end: bool) {
        self.pulls.fetch_add(1, Ordering::Relaxed);
        if end {
            self.ended.store(true, Ordering::Relaxed);
        }
    }
}
