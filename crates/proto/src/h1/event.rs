//! What the HTTP/1.1 connection reports to its driver (python-h2's event
//! names where one fits).

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};

use super::error::{CloseCause, RequestFailure};
use super::framing::BodyKind;

/// A response head as received: final or informational (1xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// The header fields, in order, obs-fold replaced by SP (RFC 9112 §5.2).
    pub headers: HeaderMap,
    /// The reason phrase as sent, a slice of the received head (RFC 9112
    /// §4: it may be empty, and a client should ignore it). Empty too when
    /// it holds obs-text (bytes 0x80 and up), which httparse does not hand
    /// out.
    pub reason: Bytes,
}

/// An output of [`super::Connection::poll_event`].
///
/// Every request accepted by `send_request` ends with exactly one of
/// [`Event::ResponseEnded`] or [`Event::RequestFailed`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A 1xx informational head (RFC 9110 §15.2), e.g. `100 Continue` or
    /// `103 Early Hints`. The final head follows.
    InformationalReceived {
        /// The head.
        head: ResponseHead,
    },
    /// The final response head, and how its body is framed.
    ResponseReceived {
        /// The head.
        head: ResponseHead,
        /// The body framing (RFC 9112 §6.3); `Length(n)` is a size hint.
        body: BodyKind,
        /// Request body bytes confirmed written when the head arrived (the
        /// journal's `body_sent`; an early response may come before all).
        body_sent: u64,
    },
    /// Response body bytes, a slice of the read buffer (chunk framing
    /// removed).
    DataReceived {
        /// The bytes.
        data: Bytes,
    },
    /// The trailer section of a chunked response (RFC 9112 §7.1.2);
    /// [`Event::ResponseEnded`] follows.
    TrailersReceived {
        /// The trailer fields.
        trailers: HeaderMap,
    },
    /// The response is complete.
    ResponseEnded,
    /// The request ended without a complete response, with its journal.
    RequestFailed(RequestFailure),
    /// The connection is finished: close the transport. Emitted once, after
    /// the request's terminal event.
    Closed(CloseCause),
}
