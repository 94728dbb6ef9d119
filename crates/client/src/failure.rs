//! One failed attempt: why it failed ([`Cause`]), its journal entry, and the
//! [`Error`] it becomes when it is not retried.
//!
//! The cause keeps what the engines said as they said it (the HTTP/2
//! stream's [`FailureCause`](h2::FailureCause), the HTTP/1.1 exchange's
//! [`CloseCause`](h1::CloseCause)); the verdict is the engine's, computed
//! once and kept in the attempt's journal entry.

use baton_proto::{Processing, h1, h2};

use crate::error::{Error, Kind};
use crate::going_away::ConnectionGoingAway;
use crate::journal::Attempt;

/// Why one attempt failed.
#[derive(Debug, Clone)]
pub(crate) enum Cause {
    /// The HTTP/2 engine failed the stream: a GOAWAY above it, a reset, a
    /// rule the server broke, or the connection's end.
    Stream(h2::FailureCause),
    /// The HTTP/1.1 engine ended the exchange.
    Exchange(h1::CloseCause),
    /// The connection could not take the request at all (closed, going
    /// away, at its limit): another connection may.
    Rejected(String),
    /// The request itself cannot be sent (a header or target the protocol
    /// forbids, a Content-Length its body contradicts): no connection can
    /// take it, so it is never retried.
    Invalid(String),
    /// The request body's own source failed.
    Body(String),
    /// No connection could be set up; nothing was sent. The error itself
    /// stays with the attempt loop.
    Connect,
    /// The server answered `417 (Expectation Failed)` to `Expect:
    /// 100-continue`; the held body was not sent (RFC 9110 §10.1.1).
    ExpectationFailed,
}

impl Cause {
    /// The rule the server broke, when that is what ended the attempt.
    pub(crate) fn violation(&self) -> Option<&h2::Violation> {
        match self {
            Self::Stream(c) => c.violation(),
            _ => None,
        }
    }

    /// The server broke the protocol (HTTP/2 or HTTP/1.1): what ended the
    /// attempt was its fault, not the network's.
    pub(crate) fn server_broke_protocol(&self) -> bool {
        self.violation().is_some_and(h2::Violation::breaks_rule) || self.invalid_response().is_some()
    }

    /// The HTTP/1.1 response the server got wrong, when that is what ended
    /// the attempt.
    fn invalid_response(&self) -> Option<&h1::ResponseError> {
        match self {
            Self::Exchange(h1::CloseCause::InvalidResponse(e)) => Some(e),
            _ => None,
        }
    }

    /// What happened, for the error's headline.
    fn describe(&self) -> String {
        match self {
            Self::Stream(h2::FailureCause::GoAway(_)) => {
                "stream above the server's GOAWAY last_stream_id".to_owned()
            }
            Self::Stream(h2::FailureCause::Reset(reason)) => format!("stream reset by the server ({reason})"),
            Self::Stream(h2::FailureCause::Violation(v)) => format!("protocol error: {v}"),
            Self::Stream(h2::FailureCause::ConnectionClosed(c)) => format!("connection closed: {c}"),
            Self::Stream(other) => format!("connection refused the stream: {other}"),
            Self::Exchange(h1::CloseCause::InvalidResponse(e)) => format!("protocol error: {e}"),
            Self::Exchange(c) => format!("connection closed: {c}"),
            Self::Rejected(why) => format!("connection refused the stream: {why}"),
            Self::Invalid(why) => format!("invalid request: {why}"),
            Self::Body(why) => format!("request body failed: {why}"),
            Self::Connect => "cannot connect".to_owned(),
            Self::ExpectationFailed => "417 Expectation Failed".to_owned(),
        }
    }
}

/// One failed attempt: the journal entry (with its verdict) and the facts
/// the retry policy reads.
#[derive(Debug, Clone)]
pub(crate) struct AttemptFailure {
    pub(crate) attempt: Attempt,
    pub(crate) cause: Cause,
    /// The failing connection's first stream, on a connection opened for it.
    pub(crate) first_on_connection: bool,
}

impl AttemptFailure {
    /// A failure whose verdict is `processing` (recorded in the journal
    /// entry, the one place it is kept).
    pub(crate) fn new(mut attempt: Attempt, cause: Cause, processing: Processing, first: bool) -> Self {
        attempt.processing = Some(processing);
        Self { attempt, cause, first_on_connection: first }
    }

    /// The verdict. Every failure built by [`Self::new`] has one; the
    /// conservative `MaybeProcessed` stands in otherwise.
    pub(crate) fn processing(&self) -> Processing {
        self.attempt.processing.unwrap_or(Processing::MaybeProcessed)
    }

    /// The error for a request that ends with this failure: `kind`, the
    /// headline (the cause and `note`), the request's verdict `verdict` (its
    /// furthest attempt's) and all its attempts; with the GOAWAY account
    /// when the connection had one, and the rule the server broke.
    pub(crate) fn into_error(
        self,
        kind: Kind,
        note: &str,
        verdict: Processing,
        attempts: Vec<Attempt>,
    ) -> Error {
        let message = format!("{}{note}", self.cause.describe());
        let mut error = Error::new(kind, message);
        if let Some(g) = &self.attempt.go_away {
            error = error.with_going_away(ConnectionGoingAway::new(g, &self.attempt, verdict));
        }
        self.error_with(error, verdict, attempts)
    }

    /// `error` with this failure's verdict `verdict`, `attempts`, and the
    /// rule the server broke or the code involved (not the GOAWAY account,
    /// which [`Self::into_error`] adds for failures before the response).
    pub(crate) fn error_with(&self, error: Error, verdict: Processing, attempts: Vec<Attempt>) -> Error {
        let mut error = error.with_processing(verdict).with_attempts(attempts);
        if let Some(v) = self.cause.violation() {
            error = error.with_violation(v.clone());
        } else if let Some(e) = self.cause.invalid_response() {
            error = error.with_source(e.clone());
        }
        if let Some(code) = self.code() {
            error = error.with_reason(code);
        }
        error
    }

    /// The HTTP/2 error code involved: the server's RST_STREAM code, the
    /// one we sent for its violation, or its connection's GOAWAY code.
    pub(crate) fn code(&self) -> Option<h2::Reason> {
        match &self.cause {
            Cause::Stream(c @ (h2::FailureCause::Reset(_) | h2::FailureCause::Violation(_))) => c.reason(),
            Cause::Stream(h2::FailureCause::ConnectionClosed(c)) => {
                c.reason().or_else(|| self.attempt.go_away.as_ref().map(|g| g.error_code))
            }
            _ => self.attempt.go_away.as_ref().map(|g| g.error_code),
        }
    }

    /// How much the failure tells about the server, for the headline of a
    /// request whose later attempts failed less tellingly: a broken rule (2),
    /// an error code other than NO_ERROR (1), nothing (0).
    pub(crate) fn weight(&self) -> u8 {
        if self.cause.server_broke_protocol() {
            2
        } else if self.code().is_some_and(|c| c != h2::Reason::NO_ERROR) {
            1
        } else {
            0
        }
    }

    /// What happened, for a headline.
    pub(crate) fn describe(&self) -> String {
        self.cause.describe()
    }
}

/// A byte count for people: "1.2 MiB".
pub(crate) fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / f64::from(1 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_human() {
        assert_eq!(human_bytes(1_258_291), "1.2 MiB");
        assert_eq!(human_bytes(2048), "2.0 KiB");
        assert_eq!(human_bytes(10), "10 B");
    }
}
