//! One request from its start to a response or a failure: its attempts,
//! each leased from the pool and handed to a connection, the retry policy's
//! decision after each failed one (`retry.rs`), the back-off, the
//! redirects it follows (`redirect.rs`), the deadlines, the decoding of a
//! compressed response (`decompress/`), and the account every failure
//! carries.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::{Extensions, HeaderMap, HeaderValue, Method, Uri};
use tokio::sync::oneshot;

use crate::body::Body;
use crate::conn::h2::Waiting;
use crate::conn::{AttemptRequest, Outcome, ResponseParts, expects_continue};
use crate::decompress::{self, Accepts};
use crate::error::{Error, Kind};
use crate::failure::{AttemptFailure, Cause, human_bytes};
use crate::grpc::{self, Idempotent};
use crate::incoming::Incoming;
use crate::journal::{self, Attempt, Log, Processing, RetryReason};
use crate::origin::Origin;
use crate::pool::{Lease, LeaseError, Pool};
use crate::redirect;
use crate::response::Response;
use crate::retry::{self, Budget, Decision, Refusal, RequestFacts, RetryPolicy};
use crate::stats::Counters;
use crate::timeouts::{TimeoutKind, Timeouts};

/// What every request of a client (and its clones) shares.
pub(crate) struct Core {
    pub(crate) pool: Pool,
    pub(crate) policy: RetryPolicy,
    pub(crate) budget: Budget,
    pub(crate) stats: std::sync::Arc<Counters>,
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) total_timeout: Option<Duration>,
    pub(crate) redirect: redirect::Policy,
    pub(crate) referer: bool,
    pub(crate) accepts: Accepts,
    /// `accepts` as an `Accept-Encoding` value, made once.
    pub(crate) accept_encoding: Option<HeaderValue>,
    /// Sent with every request that does not set them.
    pub(crate) default_headers: HeaderMap,
}

/// What a request carries besides its `http::Request`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) idempotent: Option<bool>,
    pub(crate) timeouts: Timeouts,
}

/// A request taken apart, as its attempts use it; a redirect makes it the
/// next hop's.
struct Exchange {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
    idempotent: bool,
    /// The caller's own say on idempotence, which `idempotent` follows.
    declared_idempotent: Option<bool>,
    timeouts: Timeouts,
}

/// Takes the request apart at once (no I/O, nothing counted: that waits for
/// the first poll) and returns the future that runs it; a builder error
/// comes out of that future. Not an `async fn`: those keep their arguments
/// and the locals moved out of them side by side for the future's whole
/// life, and this future is in every request in flight.
///
/// `origin` is the request URI's, when the caller already took it (the
/// request builder does, to report a bad URL before sending); a request
/// from elsewhere may have had its URI changed since, and is taken here.
pub(crate) fn execute(
    core: std::sync::Arc<Core>,
    request: Result<http::Request<Body>, Error>,
    origin: Option<Origin>,
    options: RequestOptions,
) -> impl Future<Output = Result<Response, Error>> + Send + 'static {
    let (request, invalid) = match request {
        Ok(request) => (request, None),
        Err(e) => (http::Request::new(Body::empty()), Some(e)),
    };
    let (mut parts, body) = request.into_parts();
    for name in core.default_headers.keys() {
        if !parts.headers.contains_key(name) {
            for value in core.default_headers.get_all(name) {
                parts.headers.append(name.clone(), value.clone());
            }
        }
    }
    // A gRPC call's `grpc-timeout` is its deadline here too (the server
    // enforces it on its side): the sooner of it and the configured one.
    let limit = match (options.timeout.or(core.total_timeout), grpc::timeout(&parts.headers)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    // The builder's say first, then the request's `Idempotent` extension.
    let declared = options.idempotent.or_else(|| parts.extensions.get::<Idempotent>().map(|i| i.0));
    let idempotent = declared.unwrap_or_else(|| retry::is_idempotent(&parts.method, &parts.headers));
    body.set_replay_limit(core.policy.replay_limit());
    let mut headers = parts.headers;
    decompress::ask(core.accept_encoding.as_ref(), &mut headers);
    let exchange = Exchange {
        method: parts.method,
        uri: parts.uri,
        headers,
        body,
        idempotent,
        declared_idempotent: declared,
        timeouts: options.timeouts,
    };
    let extensions = parts.extensions;
    async move {
        if let Some(e) = invalid {
            return Err(e);
        }
        let origin = match origin {
            Some(origin) => origin,
            None => Origin::of(&exchange.uri)?,
        };
        core.stats.request();
        let journal = Mutex::new(Log::default());
        // Boxed: the hops' future is most of a request's, and kept in place
        // it would be copied by every future that awaits it (measured with
        // callgrind: fewer instructions per request, the allocation included).
        let chain = Box::pin(follow(&core, origin, exchange, extensions, &journal));
        let result = match limit {
            // The clock is read only for a request with a total limit.
            Some(limit) => {
                let started = tokio::time::Instant::now();
                match tokio::time::timeout(limit, chain).await {
                    // A limit too far to add to the clock leaves the body no
                    // deadline beyond its own (`Duration::MAX` is "none").
                    Ok(r) => r.map(|resp| match started.checked_add(limit) {
                        Some(at) => resp.with_deadline(at, limit),
                        None => resp,
                    }),
                    Err(_) => {
                        let why = format!("request timed out after {limit:?}");
                        Err(cut_off(&journal, Error::timeout(TimeoutKind::Total, why.clone()), &why))
                    }
                }
            }
            None => chain.await,
        };
        match &result {
            Ok(_) => core.stats.response(),
            Err(e) => core.stats.failure(e.processing()),
        }
        result
    }
}

/// The request's hops, each run by [`run`], until a response that is not a
/// redirect to follow (`redirect.rs` has the rules), decoded if it came
/// compressed.
fn follow<'a>(
    core: &'a Core,
    origin: Origin,
    exchange: Exchange,
    extensions: Extensions,
    journal: &'a Mutex<Log>,
) -> impl Future<Output = Result<Response, Error>> + Send + 'a {
    // Not an `async fn`: its arguments would sit in the future twice,
    // as arguments and as the locals moved out of them.
    let mut origin = origin;
    let mut exchange = exchange;
    async move {
        // The URLs of the hops so far, the request's own first (only made
        // when there is a redirect to follow).
        let mut previous: Vec<Uri> = Vec::new();
        loop {
            core.budget.deposit();
            let mut parts = run(core, &origin, &exchange, journal).await?;
            parts.attempt.status = Some(parts.status);
            if redirect::redirects(parts.status) && core.redirect.follows() {
                match next_hop(core, &mut exchange, &parts, &mut previous).await {
                    None => {}
                    Some(Ok(next)) => {
                        tracing::info!(
                            from = %exchange.uri,
                            to = %next,
                            status = parts.status.as_u16(),
                            method = %exchange.method,
                            "following redirect"
                        );
                        redirected(journal, *parts, Some(next.clone()));
                        core.stats.redirect();
                        // `redirect::decide` checked it can be followed.
                        origin = Origin::of(&next)?;
                        exchange.uri = next;
                        continue;
                    }
                    Some(Err(e)) => {
                        let attempts = redirected(journal, *parts, None);
                        return Err(e.with_processing(Processing::ResponseStarted).with_attempts(attempts));
                    }
                }
            }
            // httpx's read timeout covers the head and each wait for the
            // body. (Worked out here, not kept across the awaits above: the
            // bytes would widen this future, which is allocated per request
            // and is just within the allocator's fastest sizes.)
            let read_timeout = exchange.timeouts.read.or(core.read_timeout);
            let method = exchange.method;
            let url = exchange.uri;
            let journal = lock(journal).answered_by(parts.attempt);
            let body = Incoming::wire(parts.body, journal, read_timeout);
            let mut response = Response::new(
                parts.status,
                parts.headers,
                parts.version,
                parts.reason,
                url,
                extensions,
                body,
            );
            decompress::decode(core.accepts, &method, &mut response);
            return Ok(response);
        }
    }
}

/// What follows `parts`, a redirect answering `exchange`: `None` when it
/// is the response (the policy stops there, its `Location` does not
/// resolve, or its body would have to be sent again and cannot be);
/// otherwise the next URL, with `exchange` made the next hop's (method,
/// body, headers), or the error that ends the request.
async fn next_hop(
    core: &Core,
    exchange: &mut Exchange,
    parts: &ResponseParts,
    previous: &mut Vec<Uri>,
) -> Option<Result<Uri, Error>> {
    let (method, keeps_body) = redirect::method_after(parts.status, &exchange.method);
    let has_body = exchange.body.size_hint() != Some(0);
    if keeps_body && has_body && exchange.body.replayable().await.is_err() {
        // 307 or 308 with a body that cannot be sent again: tower-http
        // and reqwest return the redirect too.
        return None;
    }
    let next = redirect::location(&parts.headers, &exchange.uri)?;
    if previous.is_empty() {
        previous.push(exchange.uri.clone());
    }
    match redirect::decide(&core.redirect, parts.status, &next, previous) {
        Ok(false) => return None,
        Ok(true) => {}
        Err(e) => return Some(Err(e)),
    }
    previous.push(next.clone());
    redirect::rewrite_headers(&mut exchange.headers, &exchange.uri, &next, keeps_body, core.referer);
    if !keeps_body {
        exchange.body = Body::empty();
    }
    if method != exchange.method {
        exchange.idempotent = retry::is_idempotent(&method, &exchange.headers);
        exchange.method = method;
    } else if exchange.declared_idempotent.is_none() {
        exchange.idempotent = retry::is_idempotent(&exchange.method, &exchange.headers);
    }
    Some(Ok(next))
}

/// Records the redirect `parts` answered in the journal: followed to `to`,
/// or (`None`) where the request ended. What of its body has already
/// arrived is taken in, so that its connection can be reused without
/// waiting for the rest; the rest is dropped. Returns the attempts so far.
fn redirected(journal: &Mutex<Log>, parts: ResponseParts, to: Option<Uri>) -> Vec<Attempt> {
    let ResponseParts { mut attempt, mut body, .. } = parts;
    body.drain_ready();
    // The server answered: whatever happens next, the request was processed.
    attempt.processing = Some(Processing::ResponseStarted);
    if to.is_some() {
        attempt.retried = Some(RetryReason::Redirect);
    }
    attempt.redirected_to = to;
    let mut log = lock(journal);
    log.push(attempt);
    log.attempts()
}

/// The attempts of one request, until a response or a failure that is not
/// retried (DESIGN.md §3).
///
/// Only the path every request takes is awaited here: the lease and the
/// attempt. What follows a failed attempt (the retry decision, the replay
/// buffer, the back-off) is [`after_failure`], boxed: its awaits would
/// otherwise widen this future, which every request in flight carries and
/// which is copied as it moves (measured with callgrind, the way
/// `execute`'s `Box::pin` was).
async fn run(
    core: &Core,
    origin: &Origin,
    exchange: &Exchange,
    journal: &Mutex<Log>,
) -> Result<Box<ResponseParts>, Error> {
    // httpx's read timeout covers the head and each wait for the body.
    let response_timeout = exchange.timeouts.read.or(core.response_timeout);
    let mut tries = Tries::default();
    loop {
        tries.attempts += 1;
        // Safe to send on a connection the server may not have taken up
        // (`settings_wait.rs`): sent again if its outcome is unknown.
        let safe = exchange.idempotent && exchange.body.size_hint().is_some();
        let headers = tries.without_expect.as_deref().unwrap_or(&exchange.headers);
        let leased = core.pool.lease(origin, tries.attempts > 1, &exchange.timeouts, safe).await;
        let ended = match leased {
            Ok(lease) => {
                let (rx, waiting) = hand_over(exchange, headers, lease, journal);
                match answered(exchange, rx, waiting, response_timeout, journal).await? {
                    Outcome::Response(parts)
                        if !(parts.status == http::StatusCode::EXPECTATION_FAILED
                            && expects_continue(headers)) =>
                    {
                        return Ok(parts);
                    }
                    outcome => Ended::Answered(outcome),
                }
            }
            Err(e) => Ended::Unleased(e),
        };
        match Box::pin(after_failure(core, origin, exchange, journal, &mut tries, ended)).await {
            Flow::Retry => {}
            Flow::Return(result) => return result,
        }
    }
}

/// The retry loop's state between attempts.
#[derive(Default)]
struct Tries {
    attempts: u32,
    idempotent_retries: u32,
    /// The failure that told most about the server (a broken rule, an
    /// error code) and its attempt: the headline names it even when later
    /// attempts failed otherwise (could not connect, say). Boxed: rare.
    telling: Option<Box<(u32, AttemptFailure)>>,
    /// The request's headers without `Expect`, after a 417 (below).
    /// Boxed: rare, and every request's future carries this struct.
    without_expect: Option<Box<HeaderMap>>,
}

/// How an attempt that gave no response to return ended.
enum Ended {
    /// The connection's answer: a failure, or a 417 to `Expect`.
    Answered(Outcome),
    /// No connection.
    Unleased(LeaseError),
}

/// What the retry loop does after a failed attempt.
enum Flow {
    Retry,
    Return(Result<Box<ResponseParts>, Error>),
}

/// One attempt handed to its connection, `lease`: what its answer will
/// come on, and (HTTP/2) the guard that resets its stream if the answer is
/// no longer awaited. Not `async`: nothing here waits, and its locals stay
/// out of the request's future.
fn hand_over(
    exchange: &Exchange,
    headers: &HeaderMap,
    lease: Lease,
    journal: &Mutex<Log>,
) -> (oneshot::Receiver<Outcome>, Option<Waiting>) {
    let (tx, rx) = oneshot::channel();
    let (id, reused, version, tls_version) = match &lease {
        Lease::H2 { handle, reused } => (handle.id, *reused, http::Version::HTTP_2, handle.tls_version),
        Lease::H1 { conn, reused, .. } => (conn.id, *reused, http::Version::HTTP_11, conn.tls_version),
    };
    let mut attempt = Attempt::new(id, reused, version);
    attempt.tls_version = tls_version;
    lock(journal).start(&attempt);
    // Boxed once here: both connections' hand-overs move it on.
    let request = Box::new(AttemptRequest {
        method: exchange.method.clone(),
        uri: exchange.uri.clone(),
        headers: headers.clone(),
        body: exchange.body.reader(),
        attempt,
        respond: tx,
    });
    let waiting = match lease {
        Lease::H2 { handle, .. } => Some(handle.send(request)),
        Lease::H1 { conn, home, .. } => {
            conn.send(request, home);
            None
        }
    };
    (rx, waiting)
}

/// The answer to an attempt (`rx`), awaited within the read and write
/// timeouts. An error here ends the request (a timeout; the connection's
/// driver gone). `waiting` is kept until the answer arrives: dropped
/// before (a timeout, or this future dropped), it has the driver reset the
/// abandoned stream.
async fn answered(
    exchange: &Exchange,
    rx: oneshot::Receiver<Outcome>,
    waiting: Option<Waiting>,
    response_timeout: Option<Duration>,
    journal: &Mutex<Log>,
) -> Result<Outcome, Error> {
    // The write timeout watches a streaming body the connection may stop
    // taking (`Timeouts::write`); boxed, as few requests have one.
    let watched = match (exchange.timeouts.write, exchange.body.progress()) {
        (Some(limit), Some(progress)) => {
            Box::pin(async {
                tokio::select! {
                    biased;
                    answer = answer(rx, response_timeout) => answer,
                    () = crate::timeouts::stalled(progress, limit) => Err((
                        TimeoutKind::Write,
                        format!("the connection took no more of the request body for {limit:?}"),
                    )),
                }
            })
            .await
        }
        _ => answer(rx, response_timeout).await,
    };
    let outcome = match watched {
        Ok(o) => o,
        Err((which, why)) => return Err(cut_off(journal, Error::timeout(which, why.clone()), &why)),
    };
    if let Some(w) = waiting {
        w.answered();
    }
    outcome.map_err(|_| {
        // The request went to the connection, and may have left: say so,
        // as a timeout would.
        let why = "connection driver stopped without an answer";
        cut_off(journal, Error::new(Kind::Request, why), why)
    })
}

/// The connection's answer to an attempt, within the read timeout.
async fn answer(
    rx: oneshot::Receiver<Outcome>,
    limit: Option<Duration>,
) -> Result<Result<Outcome, oneshot::error::RecvError>, (TimeoutKind, String)> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, rx)
            .await
            .map_err(|_| (TimeoutKind::Read, format!("no response head within {limit:?}"))),
        None => Ok(rx.await),
    }
}

/// What follows an attempt that `ended` without a response to return: the
/// retry policy's decision (`retry.rs`), journaled, and the back-off; or the
/// request's end.
async fn after_failure(
    core: &Core,
    origin: &Origin,
    exchange: &Exchange,
    journal: &Mutex<Log>,
    tries: &mut Tries,
    ended: Ended,
) -> Flow {
    let Exchange { body, idempotent, .. } = exchange;
    let attempts = tries.attempts;
    // A transient connect failure sent nothing: it goes through the same
    // decision as any failed attempt (S14: bounded by the attempt cap and
    // the budget, backing off), but fails with its own error.
    let mut connect_error = None;
    let failure = match ended {
        Ended::Answered(Outcome::Response(parts)) => {
            // A 417 to `Expect: 100-continue`. Dropping it resets its stream
            // (HTTP/2) or closes its connection (HTTP/1.1); `retry.rs`
            // decides whether it is repeated.
            let failure = AttemptFailure {
                attempt: parts.attempt.clone(),
                cause: Cause::ExpectationFailed,
                first_on_connection: false,
            };
            let facts = RequestFacts {
                idempotent: *idempotent,
                replayable: body.replayable().await,
                attempts,
                idempotent_retries: tries.idempotent_retries,
            };
            return match retry::decide(&core.policy, &core.budget, &failure, facts) {
                Decision::Retry { reason, .. } => {
                    let mut attempt = failure.attempt;
                    attempt.status = Some(parts.status);
                    attempt.retried = Some(reason);
                    lock(journal).push(attempt);
                    core.stats.retry(reason);
                    let mut headers = exchange.headers.clone();
                    headers.remove(http::header::EXPECT);
                    tries.without_expect = Some(Box::new(headers));
                    Flow::Retry
                }
                // Not repeated: the 417 is the answer.
                Decision::Fail(_) => Flow::Return(Ok(parts)),
            };
        }
        Ended::Answered(Outcome::Failed(f)) => {
            let f = *f;
            // The server refused the connection at the TLS layer (a
            // rejected client certificate, TLS 1.3): it never read the
            // request as HTTP, and another connection would meet the same
            // refusal. A connect error, not retried.
            if let Some(why) = core.pool.tls_rejection(origin, f.attempt.connection_id) {
                let message = format!("TLS with {origin} failed: {why}");
                let mut attempt = f.attempt;
                attempt.error = Some(message.clone());
                lock(journal).push(attempt);
                let error = Error::new(Kind::Connect, message).tls();
                return Flow::Return(Err(error.with_attempts(lock(journal).attempts())));
            }
            f
        }
        Ended::Unleased(LeaseError { error, connection_id, version }) if error.is_transient() => {
            let mut attempt = Attempt::new(connection_id, false, version);
            attempt.error = Some(error.to_string());
            connect_error = Some(error);
            AttemptFailure::new(attempt, Cause::Connect, Processing::NotSent, true)
        }
        Ended::Unleased(LeaseError { error, connection_id, version }) => {
            if error.is_proxy() {
                // A proxy's refusal is journaled as an attempt that reached
                // no origin: the proxy said no.
                let mut attempt = Attempt::new(connection_id, false, version);
                attempt.error = Some(error.to_string());
                lock(journal).push(attempt);
            }
            let error = connect_failure(error, lock(journal).attempts());
            return Flow::Return(Err(led_by(error, 0, tries.telling.as_deref())));
        }
    };
    if failure.weight() > tries.telling.as_ref().map_or(0, |t| t.1.weight()) {
        tries.telling = Some(Box::new((attempts, failure.clone())));
    }
    // Nothing of the body was read for a connect failure.
    let replayable = if connect_error.is_some() { Ok(()) } else { body.replayable().await };
    let facts = RequestFacts {
        idempotent: *idempotent,
        replayable,
        attempts,
        idempotent_retries: tries.idempotent_retries,
    };
    let decision = retry::decide(&core.policy, &core.budget, &failure, facts);
    let mut attempt = failure.attempt.clone();
    match decision {
        Decision::Retry { reason, backoff, http1 } => {
            tracing::info!(
                %origin,
                connection = attempt.connection_id,
                stream_id = attempt.stream_id.map(|id| id.value()),
                phase = %attempt.phase,
                processing = %failure.processing(),
                go_away_last = attempt.go_away.as_ref().map(|g| g.last_stream_id.value()),
                %reason,
                backoff_ms = backoff.as_millis() as u64,
                "retrying request"
            );
            attempt.retried = Some(reason);
            attempt.backoff = backoff;
            lock(journal).push(attempt);
            core.stats.retry(reason);
            if reason == RetryReason::Idempotent {
                tries.idempotent_retries += 1;
            }
            if http1 {
                core.pool.require_http1(origin);
            }
            if !backoff.is_zero() {
                tokio::time::sleep(backoff).await;
            }
            Flow::Retry
        }
        Decision::Fail(refusal) => {
            tracing::info!(
                %origin,
                connection = attempt.connection_id,
                stream_id = attempt.stream_id.map(|id| id.value()),
                phase = %attempt.phase,
                processing = %failure.processing(),
                ?refusal,
                "request failed"
            );
            lock(journal).push(attempt);
            let all = lock(journal).attempts();
            let weight = if connect_error.is_some() { 0 } else { failure.weight() };
            let error = match connect_error {
                Some(e) => connect_failure(e, all),
                None => refused(failure, refusal, all),
            };
            let earlier = tries.telling.as_deref().filter(|(n, _)| *n != attempts);
            Flow::Return(Err(led_by(error, weight, earlier)))
        }
    }
}

/// The error of a request whose last failure is not retried. The request's
/// verdict is its furthest attempt's, not the last one's: a PUT that may
/// have been processed on its first attempt stays `MaybeProcessed` when the
/// retry is refused.
fn refused(failure: AttemptFailure, refusal: Refusal, attempts: Vec<Attempt>) -> Error {
    let (kind, note) = match refusal {
        Refusal::Verdict => (Kind::Request, String::new()),
        Refusal::NotReplayable(sent) => {
            (Kind::Request, format!("; not retried: {} streaming body is not replayable", human_bytes(sent)))
        }
        Refusal::Attempts => (Kind::RetriesExhausted, "; not retried: attempt limit reached".to_owned()),
        Refusal::Invalid => (Kind::Builder, String::new()),
        Refusal::BodyFailed => (Kind::Body, String::new()),
        Refusal::Budget => {
            (Kind::RetriesExhausted, "; not retried: client retry budget exhausted".to_owned())
        }
    };
    let verdict = journal::strongest(&attempts).unwrap_or_else(|| failure.processing());
    failure.into_error(kind, &note, verdict, attempts)
}

/// `error`, a failure of weight `weight` (see [`AttemptFailure::weight`]),
/// led in its headline by an earlier, more telling one.
fn led_by(error: Error, weight: u8, earlier: Option<&(u32, AttemptFailure)>) -> Error {
    match earlier {
        Some((n, f)) if f.weight() > weight => {
            let text = format!("attempt {n}: {}", f.describe());
            error.after(&text, f.cause.violation().cloned(), f.code())
        }
        _ => error,
    }
}

/// A connect error ends the request: it carries a verdict only when an
/// earlier attempt got further than "not sent" (see [`Error::processing`]).
fn connect_failure(e: Error, attempts: Vec<Attempt>) -> Error {
    match journal::strongest(&attempts) {
        Some(v) if v != Processing::NotSent => e.with_processing(v).with_attempts(attempts),
        _ => e.with_attempts(attempts),
    }
}

/// `error`, for a request cut off while an attempt may be in flight (a
/// deadline, a driver gone) for reason `why`, with the account
/// [`Log::cut_off`] gives.
fn cut_off(journal: &Mutex<Log>, error: Error, why: &str) -> Error {
    let (attempts, verdict) = lock(journal).cut_off(why);
    error.with_processing(verdict).with_attempts(attempts)
}

fn lock(log: &Mutex<Log>) -> MutexGuard<'_, Log> {
    // Nothing panics while holding it; a poisoned log is still whole.
    log.lock().unwrap_or_else(PoisonError::into_inner)
}
