//! How many streams an origin lets one HTTP/2 connection carry, learned from
//! its GOAWAYs, so the pool can rotate connections before the server does
//! (DESIGN.md §4, make-before-break).
//!
//! Servers that limit requests per connection (nginx `keepalive_requests`,
//! 1000 by default; h2o, Envoy and others have the same knob) send
//! GOAWAY(NO_ERROR) once the limit is reached, with last_stream_id the last
//! stream they took. At high concurrency the client has usually opened more
//! streams by then: every one above last_stream_id is refused and must be
//! retried on a fresh connection, a round trip and a connection setup later
//! (RFC 9113 §6.8). Once the limit is known, the pool stops giving a
//! connection new streams at the limit and opens its successor while the
//! last of them are in flight, so nothing is refused and nothing waits.
//!
//! A server may say it with an error code too: one that answers its Nth
//! request on every connection with GOAWAY(ENHANCE_YOUR_CALM) has the same
//! limit, and every stream refused above it costs a retry from the client's
//! budget (DESIGN.md §3 rule 6), which runs out at long round trips. So the
//! code does not matter; the count does. The limit is learned only from a
//! GOAWAY that cut a connection short (it had opened more streams than the
//! server took), and only once two such GOAWAYs agree: a reload or a shutdown stops connections at arbitrary
//! points, a count limit at the same one every time. A server whose limit
//! later drops shows two new agreeing cut-offs and is learned again; one
//! whose limit grows is not seen (its connections are rotated early, which
//! costs a connection setup per rotation and nothing else). Two connections
//! in a row that carry the learned number of streams to their end without
//! the server's GOAWAY disprove the limit, which is then forgotten.

use std::sync::atomic::{AtomicUsize, Ordering};

/// An origin's streams-per-connection limit, as far as it is known.
#[derive(Debug, Default)]
pub(crate) struct StreamBudget {
    /// The last cut-off seen (streams the server took), 0 for none.
    seen: AtomicUsize,
    /// The limit, once two cut-offs agreed; 0 while unknown.
    learned: AtomicUsize,
    /// Connections in a row that carried the limit to the end without the
    /// server's GOAWAY (see [`StreamBudget::outlived`]).
    misses: AtomicUsize,
}

/// Connections in a row that must outlive a learned limit to disprove it.
/// One is not enough: a server may send its GOAWAY just after the response
/// of the last stream it takes, nginx among them now and then.
const MISSES_TO_FORGET: usize = 2;

impl StreamBudget {
    /// A GOAWAY with `last_stream_id` arrived on a connection that had
    /// opened `opened` streams.
    pub(crate) fn observe(&self, last_stream_id: u32, opened: u64) {
        // Client streams are 1, 3, 5, ...: last_stream_id N means (N + 1) / 2
        // streams were taken (RFC 9113 §5.1.1).
        let taken = (last_stream_id as usize).div_ceil(2);
        if taken == 0 || opened <= taken as u64 {
            return;
        }
        if self.seen.swap(taken, Ordering::AcqRel) == taken
            && self.learned.swap(taken, Ordering::AcqRel) != taken
        {
            tracing::debug!(
                streams_per_connection = taken,
                "learned the server's limit of streams per connection"
            );
        }
    }

    /// A connection carried the learned limit of streams to their end, and
    /// the server said GOAWAY on it (`true`) or did not (`false`) by then.
    /// Connections that keep outliving the limit without a GOAWAY show it
    /// was not the server's (two reloads that happened to cut at the same
    /// count, say): it is forgotten, so a wrong limit cannot keep costing a
    /// connection per rotation.
    pub(crate) fn carried(&self, go_away: bool) {
        if go_away {
            self.misses.store(0, Ordering::Release);
            return;
        }
        if self.misses.fetch_add(1, Ordering::AcqRel) + 1 >= MISSES_TO_FORGET {
            self.misses.store(0, Ordering::Release);
            self.seen.store(0, Ordering::Release);
            if self.learned.swap(0, Ordering::AcqRel) != 0 {
                tracing::debug!("connections outlived the learned streams-per-connection limit; forgotten");
            }
        }
    }

    /// The limit, when known.
    pub(crate) fn limit(&self) -> Option<u64> {
        let n = self.learned.load(Ordering::Acquire);
        (n > 0).then_some(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_agreeing_cut_offs_teach_the_limit() {
        let b = StreamBudget::default();
        b.observe(199, 150);
        assert_eq!(b.limit(), None, "one cut-off proves nothing");
        b.observe(199, 160);
        assert_eq!(b.limit(), Some(100));
    }

    #[test]
    fn disagreeing_or_uncut_goaways_teach_nothing() {
        let b = StreamBudget::default();
        b.observe(199, 150);
        b.observe(99, 80);
        assert_eq!(b.limit(), None, "a reload cuts at arbitrary points");
        b.observe(99, 50);
        b.observe(99, 50);
        assert_eq!(b.limit(), None, "nothing was refused: not a cut-off");
        b.observe(0, 10);
        b.observe(0, 10);
        assert_eq!(b.limit(), None, "GOAWAY(0) before any stream is not a limit");
    }

    #[test]
    fn a_limit_outlived_twice_in_a_row_is_forgotten() {
        let b = StreamBudget::default();
        b.observe(9, 20);
        b.observe(9, 20);
        assert_eq!(b.limit(), Some(5));
        b.carried(false);
        b.carried(true);
        b.carried(false);
        assert_eq!(b.limit(), Some(5), "a late GOAWAY now and then disproves nothing");
        b.carried(false);
        assert_eq!(b.limit(), None);
        b.observe(9, 20);
        assert_eq!(b.limit(), None, "learning starts over: one cut-off is not enough");
    }

    #[test]
    fn a_lower_limit_is_learned_again() {
        let b = StreamBudget::default();
        b.observe(199, 150);
        b.observe(199, 150);
        b.observe(19, 40);
        assert_eq!(b.limit(), Some(100));
        b.observe(19, 40);
        assert_eq!(b.limit(), Some(10));
    }
}
