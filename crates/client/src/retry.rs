//! The whole retry policy (DESIGN.md §3), in one place: what makes a
//! request idempotent, verdict-driven decisions (the repeat after a `417`
//! included), the attempt cap, the client-wide retry budget,
//! error-code-aware back-off and the HTTP/1.1 downgrade.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baton_proto::h2::{FailureCause, Reason};
use http::{HeaderMap, Method};

use crate::body::DEFAULT_REPLAY_BUFFER;
use crate::failure::{AttemptFailure, Cause};
use crate::journal::{Processing, RetryReason};

/// How requests are retried; given to [`ClientBuilder::retry`](crate::ClientBuilder::retry).
///
/// Which failures are retried is not configurable: it follows the verdict
/// ([`Processing`]). A request the server provably did not process is retried
/// whatever its method; an idempotent one whose outcome is unknown, once; a
/// failure after the response started, never. The policy bounds how many
/// retries happen, how fast, and how much of a streaming body is kept to
/// replay.
///
/// ```
/// use std::time::Duration;
/// use baton::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(3)
///     .budget(0.1, 5.0)
///     .backoff(Duration::from_millis(50), Duration::from_secs(2));
/// assert_eq!(policy.attempt_limit(), 3);
/// let client = baton::Client::builder().retry(policy).build()?;
/// # drop(client);
/// # Ok::<(), baton::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    budget_ratio: f64,
    budget_floor: f64,
    backoff_base: Duration,
    backoff_max: Duration,
    replay_buffer: usize,
}

impl Default for RetryPolicy {
    /// 4 attempts; retries may add 20% to the request rate, with a floor of
    /// 10 retries a second; back-off from 25 ms up to 1 s; a 256 KiB replay
    /// buffer for streaming bodies (DESIGN.md §3 rules 6 and 7).
    ///
    /// ```
    /// let policy = baton::RetryPolicy::default();
    /// assert_eq!(policy.attempt_limit(), 4);
    /// ```
    fn default() -> Self {
        Self {
            max_attempts: 4,
            budget_ratio: 0.2,
            budget_floor: 10.0,
            backoff_base: Duration::from_millis(25),
            backoff_max: Duration::from_secs(1),
            replay_buffer: DEFAULT_REPLAY_BUFFER,
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every failure is returned with its journal, even one
    /// the server provably did not process. For callers that retry on their
    /// own, from [`Error::processing`](crate::Error::processing).
    ///
    /// ```
    /// let policy = baton::RetryPolicy::never();
    /// assert_eq!(policy.attempt_limit(), 1);
    /// let client = baton::Client::builder().retry(policy).build()?;
    /// # drop(client);
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn never() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Attempts per request, the first included (default 4; 0 counts as 1).
    /// When a retry is due past the cap, the request fails with
    /// [`Error::is_retries_exhausted`](crate::Error::is_retries_exhausted).
    ///
    /// ```
    /// let policy = baton::RetryPolicy::default().max_attempts(2);
    /// assert_eq!(policy.attempt_limit(), 2);
    /// assert_eq!(baton::RetryPolicy::default().max_attempts(0).attempt_limit(), 1);
    /// ```
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The client-wide retry budget (default `0.2, 10.0`): retries may add
    /// `ratio` of the request rate, and at least `floor_per_second` retries a
    /// second are allowed. The budget holds at most ten seconds' worth of the
    /// floor, available at start as a burst (so a floor of 0 leaves only the
    /// free retries, whatever the ratio). Negative values count as 0.
    ///
    /// Retries that cost the server nothing (a request it provably never saw,
    /// on an established connection closed or rotated without an error code)
    /// are free. A retry the budget refuses fails with
    /// [`Error::is_retries_exhausted`](crate::Error::is_retries_exhausted).
    ///
    /// ```
    /// // At most 10% more load, or 5 retries a second when traffic is light.
    /// let policy = baton::RetryPolicy::default().budget(0.1, 5.0);
    /// # drop(policy);
    /// ```
    pub fn budget(mut self, ratio: f64, floor_per_second: f64) -> Self {
        self.budget_ratio = ratio.max(0.0);
        self.budget_floor = floor_per_second.max(0.0);
        self
    }

    /// Back-off (default 25 ms, 1 s) before retries that follow an error
    /// code (a GOAWAY or reset other than NO_ERROR, REFUSED_STREAM and
    /// HTTP_1_1_REQUIRED), a GOAWAY on a new connection's first stream, or a
    /// failed connect: `base` doubled per attempt and capped at `max`, then
    /// ±50% jitter (so a wait can reach 1.5 × `max`). Other retries go at
    /// once. A `max` below `base` counts as `base`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let policy = baton::RetryPolicy::default().backoff(Duration::from_millis(50), Duration::from_secs(2));
    /// # drop(policy);
    /// ```
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max.max(base);
        self
    }

    /// How much of a streaming ([`Body::wrap`](crate::Body::wrap)) body is
    /// kept so it can be sent again (default
    /// [`DEFAULT_REPLAY_BUFFER`](crate::DEFAULT_REPLAY_BUFFER)). A body that
    /// outgrows it is not retried; the error says how much was sent. In-memory
    /// bodies are always replayable.
    ///
    /// ```
    /// // Uploads of up to 1 MiB survive a connection rotation.
    /// let policy = baton::RetryPolicy::default().replay_buffer(1 << 20);
    /// # drop(policy);
    /// ```
    pub fn replay_buffer(mut self, bytes: usize) -> Self {
        self.replay_buffer = bytes;
        self
    }

    /// The attempt cap set by [`max_attempts`](Self::max_attempts).
    ///
    /// ```
    /// assert_eq!(baton::RetryPolicy::default().attempt_limit(), 4);
    /// ```
    pub fn attempt_limit(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn replay_limit(&self) -> usize {
        self.replay_buffer
    }
}

/// Rule 2's definition: RFC 9110 §9.2.2 idempotent methods (GET, HEAD,
/// OPTIONS, TRACE, PUT, DELETE), or an `Idempotency-Key` header. The
/// caller's own say ([`RequestBuilder::idempotent`](crate::RequestBuilder::idempotent))
/// overrides it.
pub(crate) fn is_idempotent(method: &Method, headers: &HeaderMap) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    ) || headers.contains_key("idempotency-key")
}

/// A token bucket shared by the whole client: every request deposits
/// `ratio` of a token, every retry spends one, and time refills at least
/// `floor` tokens a second.
#[derive(Debug)]
pub(crate) struct Budget {
    ratio: f64,
    floor: f64,
    max: f64,
    state: Mutex<(f64, Instant)>,
}

impl Budget {
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        // Ten seconds' worth of the floor, available from the start (the
        // shape of Finagle's retry budget), so a burst of failures right
        // after start-up is not refused.
        let max = policy.budget_floor * 10.0;
        Self {
            ratio: policy.budget_ratio,
            floor: policy.budget_floor,
            max,
            state: Mutex::new((max, Instant::now())),
        }
    }

    pub(crate) fn deposit(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = (s.0 + self.ratio).min(self.max);
        }
    }

    fn withdraw(&self) -> bool {
        let Ok(mut s) = self.state.lock() else { return false };
        let now = Instant::now();
        let refill = now.duration_since(s.1).as_secs_f64() * self.floor;
        s.0 = (s.0 + refill).min(self.max);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the request looks like to the policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestFacts {
    /// RFC 9110 §9.2.2 method, Idempotency-Key header, or marked by the caller.
    pub(crate) idempotent: bool,
    /// `Err(bytes read)` when the body cannot be sent again.
    pub(crate) replayable: Result<(), u64>,
    /// Attempts made so far, this one included.
    pub(crate) attempts: u32,
    /// Retries already spent on an unknown outcome (rule 2 allows one).
    pub(crate) idempotent_retries: u32,
}

/// Why a failure is returned instead of retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The verdict forbids it (ResponseStarted, or MaybeProcessed and not
    /// idempotent, or the one idempotent retry is used up).
    Verdict,
    /// The body went past the replay buffer.
    NotReplayable(u64),
    /// The attempt cap.
    Attempts,
    /// The client-wide budget.
    Budget,
    /// The request cannot be sent anywhere as it is.
    Invalid,
    /// The request body's own source failed.
    BodyFailed,
}

/// The decision for one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Retry { reason: RetryReason, backoff: Duration, http1: bool },
    Fail(Refusal),
}

/// The error code a failure carries for rule 5: the server's reset's, or
/// its connection's GOAWAY's.
fn error_code(failure: &AttemptFailure) -> Option<Reason> {
    match &failure.cause {
        Cause::Stream(FailureCause::Reset(code)) => Some(*code),
        _ => failure.attempt.go_away.as_ref().map(|g| g.error_code),
    }
}

/// DESIGN.md §3, rules 1–7, and RFC 9110 §10.1.1's repeat after a `417`.
pub(crate) fn decide(
    policy: &RetryPolicy,
    budget: &Budget,
    failure: &AttemptFailure,
    facts: RequestFacts,
) -> Decision {
    match failure.cause {
        Cause::Invalid(_) => return Decision::Fail(Refusal::Invalid),
        // The caller's body itself failed: sending it again would replay
        // what was read and then poll the failed source on, which may end
        // it there, and the server would take a cut-short body as whole.
        Cause::Body(_) => return Decision::Fail(Refusal::BodyFailed),
        // RFC 9110 §10.1.1: a 417 only says that something on the way does
        // not support expectations; the client SHOULD repeat the request
        // without one. The held body was not sent. The server answered, so
        // this is protocol, not a failure: no budget and no back-off, only
        // the attempt cap and the body's replay (rules 6 and 7).
        Cause::ExpectationFailed => {
            return match (facts.replayable, facts.attempts >= policy.max_attempts) {
                (Err(sent), _) => Decision::Fail(Refusal::NotReplayable(sent)),
                (Ok(()), true) => Decision::Fail(Refusal::Attempts),
                (Ok(()), false) => Decision::Retry {
                    reason: RetryReason::ExpectationFailed,
                    backoff: Duration::ZERO,
                    http1: false,
                },
            };
        }
        _ => {}
    }
    let code = error_code(failure);
    let refused = matches!(failure.cause, Cause::Stream(FailureCause::Reset(Reason::REFUSED_STREAM)));
    let processing = failure.processing();
    let reason = match processing {
        // Rule 3.
        Processing::ResponseStarted => return Decision::Fail(Refusal::Verdict),
        // Rule 1: any method.
        Processing::NotSent => RetryReason::NotSent,
        Processing::NotProcessed if refused => RetryReason::Refused,
        Processing::NotProcessed => RetryReason::GoAway,
        // Rule 2: once, idempotent only; never guess for a POST.
        Processing::MaybeProcessed if facts.idempotent && facts.idempotent_retries == 0 => {
            RetryReason::Idempotent
        }
        Processing::MaybeProcessed => return Decision::Fail(Refusal::Verdict),
    };
    // Rule 5: HTTP_1_1_REQUIRED retries once over HTTP/1.1.
    let http1 = code == Some(Reason::HTTP_1_1_REQUIRED);
    let reason = if http1 && processing.is_safe_to_retry() { RetryReason::Http11Required } else { reason };
    // Rule 7.
    if let Err(sent) = facts.replayable {
        return Decision::Fail(Refusal::NotReplayable(sent));
    }
    // Rule 6.
    if facts.attempts >= policy.max_attempts {
        return Decision::Fail(Refusal::Attempts);
    }
    // Rule 5: NO_ERROR and REFUSED_STREAM retry at once; error codes back
    // off; so does a GOAWAY on a brand-new connection's first stream (the
    // server may be refusing everyone).
    let calm = matches!(code, Some(c) if c != Reason::NO_ERROR && c != Reason::REFUSED_STREAM && !http1);
    let fresh_go_away =
        matches!(failure.cause, Cause::Stream(FailureCause::GoAway(_))) && failure.first_on_connection;
    // A server that refuses connections gets the same caution.
    let connect = matches!(failure.cause, Cause::Connect);
    // Rule 6: the budget is for retries that add load to a server in
    // trouble. A request the server provably never saw, on a connection it
    // rotated without complaint (NO_ERROR or no GOAWAY at all), costs it
    // nothing new: the attempt cap alone bounds those.
    // A server that just broke the protocol is in trouble too.
    let graceful = processing.is_safe_to_retry()
        && !failure.cause.server_broke_protocol()
        && !refused
        && !calm
        && !fresh_go_away
        && !connect
        && code.is_none_or(|c| c == Reason::NO_ERROR);
    if !graceful && !budget.withdraw() {
        return Decision::Fail(Refusal::Budget);
    }
    let backoff =
        if calm || fresh_go_away || connect { backoff(policy, facts.attempts) } else { Duration::ZERO };
    Decision::Retry { reason, backoff, http1 }
}

/// `base * 2^(attempt-1)`, ±50% jitter, capped.
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy.backoff_base.saturating_mul(1 << attempt.saturating_sub(1).min(16));
    let capped = exp.min(policy.backoff_max);
    capped.mul_f64(0.5 + jitter())
}

/// A number in [0, 1) from a tiny xorshift generator (no need for a crate:
/// jitter only has to spread clients apart).
pub(crate) fn jitter() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let mut x = STATE.load(Ordering::Relaxed);
    if x == 0 {
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.as_nanos() as u64)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::Relaxed);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Attempt;
    use baton_proto::h1;
    use baton_proto::h2::{CloseCause, GoAway, StreamId};
    use bytes::Bytes;
    use http::{HeaderValue, Version};

    /// A GOAWAY from the server that refused the stream.
    fn go_away_cause(code: Reason) -> Cause {
        Cause::Stream(FailureCause::GoAway(go_away(code)))
    }

    fn go_away(code: Reason) -> GoAway {
        GoAway { last_stream_id: StreamId::new(1), error_code: code, debug_data: Bytes::new() }
    }

    /// The connection closed under the stream, with no word.
    fn eof() -> Cause {
        Cause::Stream(FailureCause::ConnectionClosed(CloseCause::Eof))
    }

    fn failure(processing: Processing, cause: Cause, code: Option<Reason>) -> AttemptFailure {
        let mut attempt = Attempt::new(1, true, Version::HTTP_2);
        attempt.go_away = code.map(go_away);
        AttemptFailure::new(attempt, cause, processing, false)
    }

    #[test]
    fn idempotency_follows_rfc_9110_and_the_key_header() {
        let none = HeaderMap::new();
        for m in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE, Method::PUT, Method::DELETE] {
            assert!(is_idempotent(&m, &none), "{m}");
        }
        assert!(!is_idempotent(&Method::POST, &none));
        let mut keyed = HeaderMap::new();
        keyed.insert("idempotency-key", HeaderValue::from_static("k1"));
        assert!(is_idempotent(&Method::POST, &keyed));
    }

    /// RFC 9110 §10.1.1: the repeat without the expectation is bounded by
    /// the attempt cap and the replay buffer, and spends no budget.
    #[test]
    fn a_417_is_repeated_within_the_cap_without_budget() {
        let f = failure(Processing::NotSent, Cause::ExpectationFailed, None);
        let policy = RetryPolicy::default().budget(0.0, 0.0);
        let budget = Budget::new(&policy);
        for _ in 0..3 {
            assert_eq!(
                decide(&policy, &budget, &f, facts(false)),
                Decision::Retry {
                    reason: RetryReason::ExpectationFailed,
                    backoff: Duration::ZERO,
                    http1: false
                }
            );
        }
        let capped = RequestFacts { attempts: 4, ..facts(false) };
        assert_eq!(decide(&policy, &budget, &f, capped), Decision::Fail(Refusal::Attempts));
        let one_shot = RequestFacts { replayable: Err(10), ..facts(false) };
        assert_eq!(decide(&policy, &budget, &f, one_shot), Decision::Fail(Refusal::NotReplayable(10)));
    }

    /// An HTTP/1.1 exchange cut by the server is judged by its verdict like
    /// any other failure.
    #[test]
    fn http1_failures_follow_the_verdict() {
        let f = failure(Processing::NotSent, Cause::Exchange(h1::CloseCause::Eof), None);
        assert!(matches!(
            decide_default(&f, facts(false)),
            Decision::Retry { reason: RetryReason::NotSent, .. }
        ));
        let f = failure(Processing::MaybeProcessed, Cause::Exchange(h1::CloseCause::Eof), None);
        assert_eq!(decide_default(&f, facts(false)), Decision::Fail(Refusal::Verdict));
    }

    fn facts(idempotent: bool) -> RequestFacts {
        RequestFacts { idempotent, replayable: Ok(()), attempts: 1, idempotent_retries: 0 }
    }

    fn decide_default(f: &AttemptFailure, facts: RequestFacts) -> Decision {
        let policy = RetryPolicy::default();
        decide(&policy, &Budget::new(&policy), f, facts)
    }

    #[test]
    fn rule_1_not_sent_and_not_processed_retry_any_method_at_once() {
        let f = failure(Processing::NotProcessed, go_away_cause(Reason::NO_ERROR), Some(Reason::NO_ERROR));
        assert_eq!(
            decide_default(&f, facts(false)),
            Decision::Retry { reason: RetryReason::GoAway, backoff: Duration::ZERO, http1: false }
        );
        let f = failure(
            Processing::NotProcessed,
            Cause::Stream(FailureCause::Reset(Reason::REFUSED_STREAM)),
            None,
        );
        assert!(matches!(
            decide_default(&f, facts(false)),
            Decision::Retry { reason: RetryReason::Refused, .. }
        ));
        let invalid = failure(Processing::NotSent, Cause::Invalid("bad header".into()), None);
        assert_eq!(decide_default(&invalid, facts(true)), Decision::Fail(Refusal::Invalid));
        let f = failure(Processing::NotSent, Cause::Rejected("x".into()), None);
        assert!(matches!(
            decide_default(&f, facts(false)),
            Decision::Retry { reason: RetryReason::NotSent, .. }
        ));
    }

    #[test]
    fn rule_2_maybe_processed_retries_idempotent_once_only() {
        let f = failure(Processing::MaybeProcessed, eof(), None);
        assert!(matches!(
            decide_default(&f, facts(true)),
            Decision::Retry { reason: RetryReason::Idempotent, .. }
        ));
        assert_eq!(decide_default(&f, facts(false)), Decision::Fail(Refusal::Verdict));
        let used = RequestFacts { idempotent_retries: 1, ..facts(true) };
        assert_eq!(decide_default(&f, used), Decision::Fail(Refusal::Verdict));
    }

    #[test]
    fn rule_3_response_started_is_never_retried() {
        let f = failure(Processing::ResponseStarted, eof(), None);
        assert_eq!(decide_default(&f, facts(true)), Decision::Fail(Refusal::Verdict));
    }

    #[test]
    fn rule_5_error_codes_back_off_and_http11_required_downgrades() {
        let f = failure(
            Processing::NotProcessed,
            go_away_cause(Reason::ENHANCE_YOUR_CALM),
            Some(Reason::ENHANCE_YOUR_CALM),
        );
        let Decision::Retry { backoff, .. } = decide_default(&f, facts(false)) else { panic!() };
        assert!(backoff >= Duration::from_millis(12) && backoff <= Duration::from_millis(38), "{backoff:?}");
        let f = failure(
            Processing::NotProcessed,
            go_away_cause(Reason::HTTP_1_1_REQUIRED),
            Some(Reason::HTTP_1_1_REQUIRED),
        );
        assert_eq!(
            decide_default(&f, facts(false)),
            Decision::Retry { reason: RetryReason::Http11Required, backoff: Duration::ZERO, http1: true }
        );
        let mut fresh =
            failure(Processing::NotProcessed, go_away_cause(Reason::NO_ERROR), Some(Reason::NO_ERROR));
        fresh.first_on_connection = true;
        let Decision::Retry { backoff, .. } = decide_default(&fresh, facts(false)) else { panic!() };
        assert!(backoff > Duration::ZERO);
    }

    #[test]
    fn rule_6_attempt_cap_and_budget() {
        let f = failure(Processing::NotProcessed, go_away_cause(Reason::NO_ERROR), Some(Reason::NO_ERROR));
        let capped = RequestFacts { attempts: 4, ..facts(true) };
        assert_eq!(decide_default(&f, capped), Decision::Fail(Refusal::Attempts));
        // A floor of 0.1/s gives one token to start with, and nothing refills
        // in the test's lifetime.
        let policy = RetryPolicy::default().budget(0.0, 0.1);
        let budget = Budget::new(&policy);
        let calm = failure(
            Processing::NotProcessed,
            go_away_cause(Reason::ENHANCE_YOUR_CALM),
            Some(Reason::ENHANCE_YOUR_CALM),
        );
        assert!(matches!(decide(&policy, &budget, &calm, facts(true)), Decision::Retry { .. }));
        assert_eq!(decide(&policy, &budget, &calm, facts(true)), Decision::Fail(Refusal::Budget));
        for _ in 0..5 {
            budget.deposit();
        }
        assert_eq!(decide(&policy, &budget, &calm, facts(true)), Decision::Fail(Refusal::Budget), "ratio 0");
        // A graceful rotation costs the server nothing: no budget needed.
        assert!(matches!(decide(&policy, &budget, &f, facts(false)), Decision::Retry { .. }));
        let maybe = failure(Processing::MaybeProcessed, eof(), None);
        assert_eq!(decide(&policy, &budget, &maybe, facts(true)), Decision::Fail(Refusal::Budget));
    }

    /// A request the server never saw is retried for free after a plain
    /// close, but not after the server broke the protocol: that retry
    /// spends budget (issue 16, defect 4).
    #[test]
    fn a_retry_after_a_protocol_violation_spends_budget() {
        let policy = RetryPolicy::default().budget(0.0, 0.0);
        let budget = Budget::new(&policy);
        let closed = failure(Processing::NotSent, eof(), None);
        assert!(matches!(decide(&policy, &budget, &closed, facts(false)), Decision::Retry { .. }));
        let broken = Cause::Stream(FailureCause::ConnectionClosed(CloseCause::Violation(
            baton_proto::h2::Violation::PushPromise,
        )));
        let broken = failure(Processing::NotSent, broken, None);
        assert_eq!(decide(&policy, &budget, &broken, facts(false)), Decision::Fail(Refusal::Budget));
        let invalid = Cause::Exchange(h1::CloseCause::InvalidResponse(h1::ResponseError::InvalidHeader));
        let invalid = failure(Processing::NotSent, invalid, None);
        assert_eq!(decide(&policy, &budget, &invalid, facts(false)), Decision::Fail(Refusal::Budget));
    }

    #[test]
    fn rule_7_bodies_past_the_replay_buffer_are_not_retried() {
        let f = failure(Processing::NotProcessed, go_away_cause(Reason::NO_ERROR), Some(Reason::NO_ERROR));
        let one_shot = RequestFacts { replayable: Err(1_258_291), ..facts(false) };
        assert_eq!(decide_default(&f, one_shot), Decision::Fail(Refusal::NotReplayable(1_258_291)));
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
