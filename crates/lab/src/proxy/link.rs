//! One direction's conditions as they stand: what the reader and the
//! writer of that direction consult before each chunk, changed by the
//! plan's steps and the proxy's handle (a `watch` channel, so a change
//! wakes a pump that sleeps or waits on its socket).

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use tokio::time::Instant;

use super::plan::Rate;

/// A direction's conditions.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkState {
    pub(crate) latency: Duration,
    pub(crate) jitter: Duration,
    pub(crate) rate: Option<Rate>,
    /// Read nothing (the blackhole).
    pub(crate) blackholed: bool,
    /// Deliver nothing before this (a pause).
    pub(crate) hold_until: Option<Instant>,
    /// A FIN is on its way: read nothing more, ever.
    pub(crate) stopped: bool,
}

/// Stamps each chunk with the time it may leave: `latency` ± `jitter` after
/// it was read, and never before the chunk stamped before it, so jitter
/// cannot reorder bytes.
#[derive(Debug)]
pub(crate) struct Stamper {
    rng: SmallRng,
    last_due: Option<Instant>,
}

impl Stamper {
    pub(crate) fn new(seed: u64) -> Self {
        Self { rng: SmallRng::seed_from_u64(seed), last_due: None }
    }

    /// When a chunk read at `now` under `state` may be delivered.
    pub(crate) fn due(&mut self, now: Instant, state: &LinkState) -> Instant {
        let delay = if state.jitter.is_zero() {
            state.latency
        } else {
            let jitter = i128::try_from(state.jitter.as_nanos()).unwrap_or(i128::MAX / 4);
            let latency = i128::try_from(state.latency.as_nanos()).unwrap_or(i128::MAX / 4);
            let offset = self.rng.random_range(-jitter..=jitter);
            let nanos = (latency + offset).max(0);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        };
        let due = (now + delay).max(self.last_due.unwrap_or(now));
        self.last_due = Some(due);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_bounds_and_never_reorders() {
        let state = LinkState {
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(3),
            ..LinkState::default()
        };
        let mut stamper = Stamper::new(7);
        let start = Instant::now();
        let mut last = start;
        let mut spread = std::collections::BTreeSet::new();
        for i in 0..1000u64 {
            let now = start + Duration::from_micros(100 * i);
            let due = stamper.due(now, &state);
            assert!(due >= last, "chunk {i} would overtake the one before it");
            assert!(due >= now + Duration::from_millis(7), "chunk {i}: at least latency - jitter");
            spread.insert((due - now).as_micros() / 500);
            last = due;
        }
        assert!(spread.len() > 4, "the delay varies: {spread:?}");
    }
}
