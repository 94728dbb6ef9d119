//! What an origin's connections share, and what they learn about its
//! server for each other: a connection that opens later starts from what
//! earlier ones found out, instead of finding it out again.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

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
    /// When one of the origin's HTTP/2 connections last closed (EOF or a
    /// reset) before the server's SETTINGS arrived: a server that did not
    /// take a connection up (`settings_wait.rs`).
    lost_before_preface: Mutex<Option<tokio::time::Instant>>,
    /// The last connections the server refused with a TLS alert after the
    /// handshake (a rejected client certificate, with TLS 1.3), by id, with
    /// the refusal in words: their requests fail with it, as the connect
    /// errors they are, and are not retried.
    tls_rejected: Mutex<std::collections::VecDeque<(u64, String)>>,
    /// How many times the server closed a connection with
    /// GOAWAY(ENHANCE_YOUR_CALM, "too_many_pings"): each doubles the
    /// keep-alive interval of the origin's new connections.
    ping_complaints: AtomicU32,
}

/// The most a keep-alive interval is doubled (2^10: 50 ms becomes 51 s).
const MAX_PING_DOUBLINGS: u32 = 10;

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

    /// A connection closed before the server's SETTINGS arrived.
    pub(crate) fn lost_before_preface(&self) {
        *self.lost_before_preface.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(tokio::time::Instant::now());
    }

    /// The server refused connection `id` with a TLS alert.
    pub(crate) fn tls_rejected(&self, id: u64, why: String) {
        let mut rejected = self.tls_rejected.lock().unwrap_or_else(|e| e.into_inner());
        // A few are enough: the requests of a refused connection fail at
        // once, and look theirs up then.
        if rejected.len() == 8 {
            rejected.pop_front();
        }
        rejected.push_back((id, why));
    }

    /// Why the server refused connection `id` with a TLS alert, if it did.
    pub(crate) fn tls_rejection(&self, id: u64) -> Option<String> {
        let rejected = self.tls_rejected.lock().unwrap_or_else(|e| e.into_inner());
        rejected.iter().find(|(at, _)| *at == id).map(|(_, why)| why.clone())
    }

    /// The server closed a connection with GOAWAY(ENHANCE_YOUR_CALM,
    /// "too_many_pings"): its keep-alive enforcement counts our PINGs as
    /// abuse. As gRPC's own clients do (gRPC proposal A8, "Client-side
    /// Keepalive": the client doubles its keep-alive time), the origin's
    /// next connections ping half as often, each time it happens. Returns
    /// the doublings so far.
    pub(crate) fn too_many_pings(&self) -> u32 {
        let before = self
            .ping_complaints
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| Some((n + 1).min(MAX_PING_DOUBLINGS)))
            .unwrap_or(MAX_PING_DOUBLINGS);
        (before + 1).min(MAX_PING_DOUBLINGS)
    }

    /// The keep-alive interval for a new connection of this origin:
    /// `configured`, doubled once per `too_many_pings` complaint.
    pub(crate) fn keepalive_interval(&self, configured: Option<Duration>) -> Option<Duration> {
        let doublings = self.ping_complaints.load(Ordering::Acquire);
        configured.map(|d| d.saturating_mul(1 << doublings))
    }

    /// Whether a connection closed before the server's SETTINGS within
    /// `window`.
    pub(crate) fn lost_before_preface_within(&self, window: Duration) -> bool {
        let at = *self.lost_before_preface.lock().unwrap_or_else(|e| e.into_inner());
        at.is_some_and(|at| at.elapsed() < window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_too_many_pings_doubles_the_interval_up_to_a_cap() {
        let shared = OriginShared::default();
        let base = Some(Duration::from_millis(50));
        assert_eq!(shared.keepalive_interval(base), base);
        assert_eq!(shared.too_many_pings(), 1);
        assert_eq!(shared.keepalive_interval(base), Some(Duration::from_millis(100)));
        assert_eq!(shared.too_many_pings(), 2);
        assert_eq!(shared.keepalive_interval(base), Some(Duration::from_millis(200)));
        for _ in 0..20 {
            shared.too_many_pings();
        }
        assert_eq!(shared.keepalive_interval(base), Some(Duration::from_millis(50 << MAX_PING_DOUBLINGS)));
        assert_eq!(shared.keepalive_interval(None), None, "no keep-alive stays none");
    }
}
