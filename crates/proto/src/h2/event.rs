//! What the connection reports to its driver (names follow python-h2's
//! events where one exists).

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use super::error::{CloseCause, StreamFailure};
use super::frame::{GoAway, StreamId};

/// A response head: final (2xx-5xx) or informational (1xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `:status`.
    pub status: StatusCode,
    /// Regular header fields, pseudo-headers removed.
    pub headers: HeaderMap,
}

/// An output of [`super::Connection::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A 1xx informational response head (RFC 9110 §15.2). More heads follow.
    InformationalReceived {
        /// The stream.
        stream_id: StreamId,
        /// The head.
        head: ResponseHead,
    },
    /// The final response head.
    ResponseReceived {
        /// The stream.
        stream_id: StreamId,
        /// The head.
        head: ResponseHead,
    },
    /// Response body bytes, a slice of the read buffer. Pass `data.len()` to
    /// [`super::Connection::release_capacity`] once consumed, or the stream's
    /// window stays closed (this is the back-pressure).
    DataReceived {
        /// The stream.
        stream_id: StreamId,
        /// The bytes, padding removed.
        data: Bytes,
    },
    /// Response trailers (the stream ends right after).
    TrailersReceived {
        /// The stream.
        stream_id: StreamId,
        /// The trailer fields.
        trailers: HeaderMap,
    },
    /// The response is complete.
    StreamEnded {
        /// The stream.
        stream_id: StreamId,
    },
    /// The stream ended without a complete response, with the journal and
    /// verdict the retry policy needs.
    StreamFailed(StreamFailure),
    /// The stream's queued body has all been moved into the write buffer and
    /// it can take more ([`super::Connection::send_data`]).
    Writable {
        /// The stream.
        stream_id: StreamId,
    },
    /// The server's SETTINGS were applied (and acknowledged).
    SettingsChanged {
        /// The server's SETTINGS_MAX_CONCURRENT_STREAMS now in force.
        max_concurrent_streams: u32,
    },
    /// A body held for `100 (Continue)` ([`super::Connection::hold_body`])
    /// waited `Config::continue_wait` without an answer and is being sent
    /// now (RFC 9110 §10.1.1: a client need not wait indefinitely). The
    /// server probably ignores the expectation.
    ContinueTimeout {
        /// The stream.
        stream_id: StreamId,
    },
    /// Our PING came back.
    PingAck {
        /// Its payload.
        payload: [u8; 8],
    },
    /// A GOAWAY arrived: the connection opens no new streams from now on.
    /// Streams above `last_stream_id` have already been failed, each with
    /// its own [`Event::StreamFailed`].
    GoAwayReceived(GoAway),
    /// The connection is finished: flush what `poll_transmit` still holds,
    /// then close the transport. Emitted once, after every open stream has
    /// ended or failed.
    Closed(CloseCause),
}
