//! The GOAWAY account of a failed request, with the names of httpcore pull
//! request #1054 (`ConnectionGoingAway`), so its users find their way.

use bytes::Bytes;

use baton_proto::Processing;
use baton_proto::h2::{GoAway, Reason, StreamId};

use crate::journal::Attempt;

/// The account of a failure on a connection the server had sent GOAWAY on
/// (RFC 9113 §6.8), with the names of httpcore PR #1054
/// (`ConnectionGoingAway`). [`Error::going_away`](crate::Error::going_away) returns it.
///
/// The fields say what the server announced and how far this request got;
/// the methods give the verdict.
///
/// ```no_run
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// if let Err(e) = client.put("https://example.com/items/7").body("v2").send().await {
///     if let Some(g) = e.going_away() {
///         let why = String::from_utf8_lossy(&g.debug_data);
///         println!("server left ({}: {why}), our stream {:?}", g.error_code, g.request_stream_id);
///         println!("head sent: {}, body bytes sent: {}", g.headers_sent, g.body_sent);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionGoingAway {
    /// GOAWAY's last_stream_id (0 is a real value: nothing processed).
    pub last_stream_id: StreamId,
    /// GOAWAY's error code.
    pub error_code: Reason,
    /// GOAWAY's Additional Debug Data.
    pub debug_data: Bytes,
    /// The request's own stream id (none when no stream was opened).
    pub request_stream_id: Option<StreamId>,
    /// Whether the whole request head was written.
    pub headers_sent: bool,
    /// Request body bytes written.
    pub body_sent: u64,
    pub(crate) processing: Processing,
}

impl ConnectionGoingAway {
    /// The account of `attempt`, on a connection whose last GOAWAY was
    /// `go_away`, for a request whose verdict is `processing`.
    pub(crate) fn new(go_away: &GoAway, attempt: &Attempt, processing: Processing) -> Self {
        Self {
            last_stream_id: go_away.last_stream_id,
            error_code: go_away.error_code,
            debug_data: go_away.debug_data.clone(),
            request_stream_id: attempt.stream_id,
            headers_sent: attempt.phase.head_sent(),
            body_sent: attempt.body_sent,
            processing,
        }
    }

    /// True when the server proved it did not process the request (our
    /// stream was above `last_stream_id`), or the request never left: sending
    /// it again cannot duplicate anything. Such an error reaches the caller
    /// only when baton's own retries ran out ([`Error::is_retries_exhausted`](crate::Error::is_retries_exhausted))
    /// or the body could not be replayed.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let pay = || client.post("https://example.com/pay").body(r#"{"cents": 500}"#).send();
    /// let resp = match pay().await {
    ///     Err(e) if e.going_away().is_some_and(|g| g.is_safe_to_retry()) => pay().await?,
    ///     other => other?,
    /// };
    /// # Ok(()) }
    /// ```
    pub fn is_safe_to_retry(&self) -> bool {
        self.processing.is_safe_to_retry()
    }

    /// True for NO_ERROR: the server is rotating the connection or shutting
    /// down, not complaining. Any other code (ENHANCE_YOUR_CALM,
    /// INTERNAL_ERROR, ...) reports a problem.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.get("https://example.com/").send().await {
    ///     match e.going_away() {
    ///         Some(g) if g.is_graceful_shutdown() => println!("server was rotating connections: {e}"),
    ///         Some(g) => println!("server in trouble ({}): {e}", g.error_code),
    ///         None => println!("{e}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn is_graceful_shutdown(&self) -> bool {
        self.error_code == Reason::NO_ERROR
    }

    /// True when the server may have acted on the request: the stream was at
    /// or below `last_stream_id` (or a response had started). The negation of
    /// [`is_safe_to_retry`](Self::is_safe_to_retry).
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// if let Err(e) = client.post("https://example.com/pay").body(r#"{"cents": 500}"#).send().await {
    ///     if e.going_away().is_some_and(|g| g.may_have_side_effects()) {
    ///         let status = client.get("https://example.com/payments/latest").send().await?.text().await?;
    ///         println!("the payment may have gone through; latest: {status}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn may_have_side_effects(&self) -> bool {
        !self.is_safe_to_retry()
    }
}
