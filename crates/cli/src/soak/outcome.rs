//! What happened to each request, in two bytes, and whether that is what
//! DESIGN.md §3 requires given how often the server processed it.
//!
//! Every request's outcome is stored in a table made before the run (its
//! memory is part of the baseline, not of the curve), indexed by the
//! request's number, which is also its `x-request-id`.

use std::sync::atomic::{AtomicU16, Ordering};

use baton::{Processing, RetryReason};

/// Which method a request uses: its number decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Put,
    Post,
}

impl Method {
    /// Six GETs, two PUTs and two POSTs in every ten requests to an origin.
    pub(super) fn of(n: u64) -> Self {
        match (n / 3) % 10 {
            0..=5 => Self::Get,
            6 | 7 => Self::Put,
            _ => Self::Post,
        }
    }

    pub(super) fn idempotent(self) -> bool {
        self != Self::Post
    }
}

/// One request's outcome, packed:
/// - bits 0-1: 0 not done, 1 succeeded, 2 failed;
/// - bits 2-4: the failure's verdict (0 none, then `NotSent`,
///   `NotProcessed`, `MaybeProcessed`, `ResponseStarted`);
/// - bit 5: retries exhausted; bit 6: a timeout; bit 7: a connect error;
/// - bits 8-11: attempts (15 at most);
/// - bit 12: one attempt was retried as an idempotent request whose
///   outcome was unknown (rule 2); bit 13: more than one was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Outcome(u16);

impl Outcome {
    pub(super) fn success(attempts: &[baton::Attempt]) -> Self {
        Self(1 | Self::journal(attempts))
    }

    pub(super) fn failure(e: &baton::Error) -> Self {
        let verdict: u16 = match e.processing() {
            None => 0,
            Some(Processing::NotSent) => 1,
            Some(Processing::NotProcessed) => 2,
            Some(Processing::MaybeProcessed) => 3,
            Some(Processing::ResponseStarted) => 4,
        };
        let flags = u16::from(e.is_retries_exhausted()) << 5
            | u16::from(e.is_timeout()) << 6
            | u16::from(e.is_connect()) << 7;
        Self(2 | verdict << 2 | flags | Self::journal(e.attempts()))
    }

    fn journal(attempts: &[baton::Attempt]) -> u16 {
        let reruns = attempts.iter().filter(|a| a.retried == Some(RetryReason::Idempotent)).count();
        let n = attempts.len().min(15) as u16;
        n << 8 | u16::from(reruns >= 1) << 12 | u16::from(reruns > 1) << 13
    }

    pub(super) fn done(self) -> bool {
        self.0 & 3 != 0
    }

    pub(super) fn ok(self) -> bool {
        self.0 & 3 == 1
    }

    pub(super) fn verdict(self) -> Option<Processing> {
        match (self.0 >> 2) & 7 {
            1 => Some(Processing::NotSent),
            2 => Some(Processing::NotProcessed),
            3 => Some(Processing::MaybeProcessed),
            4 => Some(Processing::ResponseStarted),
            _ => None,
        }
    }

    pub(super) fn retries_exhausted(self) -> bool {
        self.0 & (1 << 5) != 0
    }

    pub(super) fn timeout(self) -> bool {
        self.0 & (1 << 6) != 0
    }

    pub(super) fn connect(self) -> bool {
        self.0 & (1 << 7) != 0
    }

    pub(super) fn attempts(self) -> u16 {
        (self.0 >> 8) & 15
    }

    /// Sent again once after an unknown outcome (rule 2), no more.
    pub(super) fn rerun_once(self) -> bool {
        self.0 & (1 << 12) != 0 && self.0 & (1 << 13) == 0
    }
}

/// Every request's outcome, by number.
pub(super) struct Outcomes(Vec<AtomicU16>);

impl Outcomes {
    pub(super) fn new(n: usize) -> Self {
        Self((0..n).map(|_| AtomicU16::new(0)).collect())
    }

    pub(super) fn set(&self, n: u64, outcome: Outcome) {
        if let Some(slot) = usize::try_from(n).ok().and_then(|i| self.0.get(i)) {
            slot.store(outcome.0, Ordering::Release);
        }
    }

    pub(super) fn get(&self, n: usize) -> Outcome {
        self.0.get(n).map_or(Outcome::default(), |s| Outcome(s.load(Ordering::Acquire)))
    }

    pub(super) fn len(&self) -> usize {
        self.0.len()
    }
}

/// What may fail at an origin, beyond what the verdicts allow everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tolerance {
    /// Graceful rotations and reloads only: nothing may fail.
    Nothing,
    /// Connections cut with requests in flight (resets, closes after a
    /// GOAWAY, blackholes): what DESIGN.md §3 lets reach the caller.
    Cuts,
}

/// How one request's fate reads against the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Judgement {
    /// Succeeded, processed once.
    Ok,
    /// Succeeded, processed twice: an idempotent request sent again after
    /// an unknown outcome (rule 2 allows it).
    OkRerun,
    /// Failed as the rules require, the server's count agreeing with the
    /// verdict.
    FailedAsRequired,
    /// Anything else: a wrong verdict, a failure the origin gives no cause
    /// for, a request processed more often than allowed, or never done.
    Unexpected(&'static str),
}

/// Judges one request: `processed` is how often the server says it acted
/// on it.
pub(super) fn judge(outcome: Outcome, method: Method, processed: u32, tolerance: Tolerance) -> Judgement {
    if !outcome.done() {
        return Judgement::Unexpected("never finished");
    }
    // Rule 2: only an idempotent request may be processed twice, and only
    // because its first outcome was unknown; nothing three times.
    let most = if method.idempotent() { 2 } else { 1 };
    if processed > most {
        return Judgement::Unexpected("processed more often than the rules allow");
    }
    if outcome.ok() {
        return match processed {
            0 => Judgement::Unexpected("succeeded, but the server has no record of it"),
            1 => Judgement::Ok,
            _ => Judgement::OkRerun,
        };
    }
    // The verdict must agree with the server's books.
    let agrees = match outcome.verdict() {
        Some(Processing::NotSent | Processing::NotProcessed) => processed == 0,
        Some(Processing::MaybeProcessed) => true,
        Some(Processing::ResponseStarted) => processed >= 1,
        None => false,
    };
    if !agrees {
        return Judgement::Unexpected("the verdict disagrees with the server's books");
    }
    if outcome.timeout() {
        return Judgement::Unexpected("timed out");
    }
    if tolerance == Tolerance::Nothing {
        return Judgement::Unexpected("failed where nothing may fail");
    }
    let allowed = match outcome.verdict() {
        // Rule 6: the cap or the budget, on requests never processed (a
        // connection that could not be set up, attempt after attempt, too).
        Some(Processing::NotSent | Processing::NotProcessed) => {
            outcome.retries_exhausted() || outcome.connect()
        }
        // Rule 2: a POST is never guessed; an idempotent request gets one
        // more try (unless the budget refuses it, rule 6).
        Some(Processing::MaybeProcessed) => {
            !method.idempotent() || outcome.rerun_once() || outcome.retries_exhausted()
        }
        // Rule 3.
        Some(Processing::ResponseStarted) => true,
        None => false,
    };
    if allowed {
        Judgement::FailedAsRequired
    } else {
        Judgement::Unexpected("a failure the rules do not allow")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(bits: u16) -> Outcome {
        Outcome(bits)
    }

    const MAYBE: u16 = 2 | 3 << 2;
    const NOT_SENT: u16 = 2 | 1 << 2;

    #[test]
    fn methods_cycle_six_gets_two_puts_two_posts() {
        let per_origin: Vec<Method> = (0..10).map(|i| Method::of(i * 3)).collect();
        assert_eq!(per_origin.iter().filter(|m| **m == Method::Get).count(), 6);
        assert_eq!(per_origin.iter().filter(|m| **m == Method::Post).count(), 2);
    }

    #[test]
    fn successes_need_the_servers_record() {
        let ok = packed(1 | 1 << 8);
        assert_eq!(judge(ok, Method::Post, 1, Tolerance::Nothing), Judgement::Ok);
        assert_eq!(judge(ok, Method::Get, 2, Tolerance::Nothing), Judgement::OkRerun);
        assert!(matches!(judge(ok, Method::Post, 2, Tolerance::Cuts), Judgement::Unexpected(_)));
        assert!(matches!(judge(ok, Method::Get, 0, Tolerance::Cuts), Judgement::Unexpected(_)));
        assert!(matches!(judge(ok, Method::Get, 3, Tolerance::Cuts), Judgement::Unexpected(_)));
    }

    #[test]
    fn verdicts_must_agree_with_the_books() {
        let exhausted = packed(NOT_SENT | 1 << 5);
        assert_eq!(judge(exhausted, Method::Post, 0, Tolerance::Cuts), Judgement::FailedAsRequired);
        assert!(matches!(judge(exhausted, Method::Post, 1, Tolerance::Cuts), Judgement::Unexpected(_)));
        assert!(matches!(judge(exhausted, Method::Get, 0, Tolerance::Nothing), Judgement::Unexpected(_)));
        assert!(matches!(judge(packed(NOT_SENT), Method::Get, 0, Tolerance::Cuts), Judgement::Unexpected(_)));
    }

    #[test]
    fn unknown_outcomes_fail_posts_and_idempotent_requests_after_one_rerun() {
        assert_eq!(judge(packed(MAYBE), Method::Post, 1, Tolerance::Cuts), Judgement::FailedAsRequired);
        assert_eq!(judge(packed(MAYBE), Method::Post, 0, Tolerance::Cuts), Judgement::FailedAsRequired);
        assert!(matches!(judge(packed(MAYBE), Method::Get, 1, Tolerance::Cuts), Judgement::Unexpected(_)));
        let rerun = packed(MAYBE | 1 << 12);
        assert_eq!(judge(rerun, Method::Put, 2, Tolerance::Cuts), Judgement::FailedAsRequired);
        assert!(matches!(
            judge(packed(MAYBE | 3 << 12), Method::Put, 2, Tolerance::Cuts),
            Judgement::Unexpected(_)
        ));
        assert!(matches!(
            judge(packed(MAYBE), Method::Post, 1, Tolerance::Nothing),
            Judgement::Unexpected(_)
        ));
    }

    #[test]
    fn timeouts_and_unfinished_requests_are_never_right() {
        assert!(matches!(
            judge(packed(MAYBE | 1 << 6), Method::Post, 0, Tolerance::Cuts),
            Judgement::Unexpected(_)
        ));
        assert!(matches!(
            judge(Outcome::default(), Method::Get, 0, Tolerance::Cuts),
            Judgement::Unexpected(_)
        ));
    }

    #[test]
    fn outcomes_round_trip_through_the_table() {
        let table = Outcomes::new(4);
        table.set(2, packed(MAYBE | 1 << 12 | 2 << 8));
        let o = table.get(2);
        assert_eq!((o.verdict(), o.attempts(), o.rerun_once()), (Some(Processing::MaybeProcessed), 2, true));
        assert!(!table.get(1).done());
        table.set(9, packed(1));
        assert_eq!(table.len(), 4);
    }
}
