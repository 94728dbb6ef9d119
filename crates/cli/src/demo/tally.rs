//! Counting a run the same way for every client: what the client said
//! (succeeded or failed) against what the lab's ledger saw (processed how
//! many times), and latency percentiles.

use std::collections::HashMap;
use std::time::Duration;

use baton_lab::Ledger;

use super::drive::Outcome;

/// One client's run of one scenario, counted.
#[derive(Debug, Default, Clone)]
pub(super) struct Tally {
    pub(super) requests: usize,
    pub(super) succeeded: usize,
    pub(super) failed: usize,
    /// Requests the lab processed at least once.
    pub(super) processed: usize,
    /// Requests the client reported failed although the lab processed them.
    pub(super) failed_but_processed: usize,
    /// Idempotent requests processed exactly twice: sent again after an
    /// unknown outcome, as DESIGN.md §3 rule 2 allows.
    pub(super) rerun: usize,
    /// Requests processed twice that must not be (a POST, or anything
    /// three times or more), with their counts.
    pub(super) twice: Vec<(String, u32)>,
    pub(super) p50: Duration,
    pub(super) p99: Duration,
    pub(super) max: Duration,
}

impl Tally {
    /// Counts `outcomes` against the ledger of the lab they were sent to
    /// (a lab that saw no other requests with these ids).
    pub(super) fn count<E>(outcomes: &[Outcome<E>], ledger: &Ledger) -> Self {
        let mut t = Self { requests: outcomes.len(), ..Self::default() };
        let mut latencies: Vec<Duration> = outcomes.iter().map(|o| o.latency).collect();
        latencies.sort_unstable();
        if let Some(&max) = latencies.last() {
            let pick = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
            (t.p50, t.p99, t.max) = (pick(0.5), pick(0.99), max);
        }
        for o in outcomes {
            let processed = ledger.count(&o.id) > 0;
            t.processed += usize::from(processed);
            match o.result {
                Ok(_) => t.succeeded += 1,
                Err(_) => {
                    t.failed += 1;
                    t.failed_but_processed += usize::from(processed);
                }
            }
        }
        let post: HashMap<&str, bool> = outcomes.iter().map(|o| (o.id.as_str(), o.post)).collect();
        for (id, count) in ledger.duplicates() {
            if post.get(id.as_str()).copied().unwrap_or(true) || count > 2 {
                t.twice.push((id, count));
            } else {
                t.rerun += 1;
            }
        }
        t
    }
}
