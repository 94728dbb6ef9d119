//! What an origin's connections share, and what they learn about its
//! server for each other: a connection that opens later starts from what
//! earlier ones found out, instead of finding it out again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::budget::StreamBudget;

#[derive(Debug, Default)]
pub(crate) struct OriginShared {
    /// Wakes requests waiting for this origin's capacity.
    pub(crate) notify: Notify,
    /// The server's last SETTINGS_MAX_CONCURRENT_STREAMS (0: not known yet).
    /// A new connection assumes it until its own SETTINGS arrive, instead of
    /// a default that would have its first requests refused (RFC 9113
    /// §5.1.2).
    pub(crate) max_streams: AtomicUsize,
    /// Streams one HTTP/2 connection may carry, once learned (`budget.rs`).
    pub(crate) budget: StreamBudget,
    /// A held body waited the whole `CONTINUE_WAIT` unanswered on one of the
    /// origin's HTTP/2 connections: the server ignores `Expect:
    /// 100-continue` there (nginx, h2o and hyper do), so bodies go at once,
    /// on every connection, the ones that replace it included (RFC 9110
    /// §10.1.1 lets a client send without waiting). A `100 (Continue)`
    /// seen later shows the server does answer, and it is forgotten.
    continue_ignored: AtomicBool,
}

impl OriginShared {
    /// Whether to send a body at once instead of holding it for `100
    /// (Continue)`.
    pub(crate) fn continue_ignored(&self) -> bool {
        self.continue_ignored.load(Ordering::Acquire)
    }

    /// A held body waited in vain (`true`), or the server answered with
    /// `100 (Continue)` (`false`).
    pub(crate) fn set_continue_ignored(&self, ignored: bool) {
        self.continue_ignored.store(ignored, Ordering::Release);
    }
}
