//! Errors of the HTTP/2 client connection: user misuse, stream failures,
//! and how the connection ended.

use std::fmt;

use bytes::Bytes;

use super::event::GoAwayInfo;
use super::frame::{Reason, StreamId};
use crate::{Phase, Processing};

/// Who decided that a stream or connection ends (h2's `Initiator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The application asked for it.
    User,
    /// This crate, because the peer broke a rule or a limit.
    Library,
    /// The peer.
    Remote,
}

/// Why a stream failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureCause {
    /// The stream is above a GOAWAY's last_stream_id (RFC 9113 §6.8).
    GoAway(GoAwayInfo),
    /// The stream was reset by `initiator` with `reason`. `detail` says which
    /// rule was broken when the library reset it.
    Reset {
        /// The error code.
        reason: Reason,
        /// Who reset it.
        initiator: Initiator,
        /// What was wrong, for library resets.
        detail: Option<&'static str>,
    },
    /// The whole connection ended while the stream was open.
    ConnectionClosed(CloseCause),
    /// The stream was never opened: the connection stopped taking streams
    /// before its HEADERS were encoded.
    NotOpened,
}

/// Everything known about a stream that ended without a complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFailure {
    /// The stream.
    pub stream_id: StreamId,
    /// Why it failed.
    pub cause: FailureCause,
    /// The journal phase it had reached.
    pub phase: Phase,
    /// Request body bytes confirmed written to the transport.
    pub body_sent: u64,
    /// Response body bytes received.
    pub body_received: u64,
    /// The last GOAWAY seen on the connection, if any, whatever the cause.
    pub go_away: Option<GoAwayInfo>,
    /// The verdict derived from the above (DESIGN.md §2).
    pub processing: Processing,
}

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream {} failed ({}, {}): ", self.stream_id, self.processing, self.phase)?;
        match &self.cause {
            FailureCause::GoAway(g) => {
                write!(f, "GOAWAY last_stream_id={} error_code={}", g.last_stream_id, g.error_code)
            }
            FailureCause::Reset { reason, initiator, detail } => {
                write!(f, "reset by {initiator:?} with {reason}")?;
                match detail {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            FailureCause::ConnectionClosed(c) => write!(f, "connection closed: {c}"),
            FailureCause::NotOpened => f.write_str("connection stopped taking streams"),
        }
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseCause {
    /// It drained after a GOAWAY (ours or the peer's) with no stream left.
    Drained,
    /// The transport reached EOF.
    Eof,
    /// The transport failed (reset, I/O error); the text is the driver's.
    Transport(String),
    /// We closed it with a GOAWAY carrying `reason`, because the peer broke
    /// a rule (`Initiator::Library`) or the user asked (`Initiator::User`).
    Error {
        /// The code we sent.
        reason: Reason,
        /// Who decided.
        initiator: Initiator,
        /// What was wrong.
        detail: String,
    },
    /// The peer's GOAWAY carried an error code and the connection is done.
    GoAway(GoAwayInfo),
    /// A timer ran out: SETTINGS ack, keep-alive PING, idle, or drain.
    Timeout(&'static str),
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Drained => f.write_str("drained after GOAWAY"),
            Self::Eof => f.write_str("peer closed the connection"),
            Self::Transport(e) => write!(f, "transport error: {e}"),
            Self::Error { reason, initiator, detail } => {
                write!(f, "{reason} ({initiator:?}): {detail}")
            }
            Self::GoAway(g) => write!(f, "GOAWAY {} last_stream_id={}", g.error_code, g.last_stream_id),
            Self::Timeout(what) => write!(f, "{what} timed out"),
        }
    }
}

/// Why a command from the application was refused. Nothing was sent, and the
/// request can go to another connection as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS is reached.
    ConcurrencyLimit,
    /// The connection received or sent GOAWAY and takes no new streams.
    GoingAway(Option<GoAwayInfo>),
    /// The 31-bit stream id space is used up (RFC 9113 §5.1.1).
    StreamIdsExhausted,
    /// The connection is closed.
    Closed,
    /// The stream is unknown, finished, or its request side is already ended.
    StreamNotWritable(StreamId),
    /// The stream's send buffer is full; wait for [`super::Event::Writable`].
    SendBufferFull(StreamId),
    /// The request head is invalid for HTTP/2 (detail says why).
    InvalidRequest(&'static str),
    /// The request's header list exceeds the peer's
    /// SETTINGS_MAX_HEADER_LIST_SIZE.
    HeaderListTooLarge {
        /// Its size (RFC 9113 §6.5.2).
        size: usize,
        /// The peer's limit.
        max: u32,
    },
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConcurrencyLimit => f.write_str("peer's concurrent stream limit reached"),
            Self::GoingAway(_) => f.write_str("connection is going away"),
            Self::StreamIdsExhausted => f.write_str("stream ids exhausted"),
            Self::Closed => f.write_str("connection closed"),
            Self::StreamNotWritable(id) => write!(f, "stream {id} does not accept data"),
            Self::SendBufferFull(id) => write!(f, "stream {id} send buffer is full"),
            Self::InvalidRequest(why) => write!(f, "invalid request: {why}"),
            Self::HeaderListTooLarge { size, max } => {
                write!(f, "request header list of {size} bytes exceeds the peer's limit of {max}")
            }
        }
    }
}

impl std::error::Error for SendError {}

/// A connection error we raise (RFC 9113 §5.4.1): code and detail go into
/// our GOAWAY's debug data.
#[derive(Debug, Clone)]
pub(crate) struct ConnError {
    pub(crate) reason: Reason,
    pub(crate) detail: String,
}

impl ConnError {
    pub(crate) fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Self { reason, detail: detail.into() }
    }

    pub(crate) fn debug_data(&self) -> Bytes {
        Bytes::copy_from_slice(self.detail.as_bytes())
    }
}
