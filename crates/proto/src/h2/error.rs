//! Errors of the HTTP/2 client connection: user misuse, stream failures,
//! and how the connection ended.

use std::fmt;

use super::frame::{GoAway, Reason, StreamId};
use super::violation::Violation;
use crate::{Phase, Processing};

/// Why a stream failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureCause {
    /// The stream is above a GOAWAY's last_stream_id (RFC 9113 §6.8).
    GoAway(GoAway),
    /// The server reset the stream (RST_STREAM) with this code.
    Reset(Reason),
    /// We reset the stream because the server broke a rule on it (or went
    /// past a limit of ours); RST_STREAM carried [`Violation::reason`].
    Violation(Violation),
    /// The whole connection ended while the stream was open.
    ConnectionClosed(CloseCause),
    /// The stream was never opened: the connection stopped taking streams
    /// before its HEADERS were encoded.
    NotOpened,
}

impl FailureCause {
    /// The HTTP/2 error code involved: the server's RST_STREAM or GOAWAY
    /// code, or the one we sent. `None` for a transport loss or EOF.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Self::GoAway(g) => Some(g.error_code),
            Self::Reset(r) => Some(*r),
            Self::Violation(v) => Some(v.reason()),
            Self::ConnectionClosed(c) => c.reason(),
            Self::NotOpened => None,
        }
    }

    /// The rule the server broke, when that is why the stream (or its
    /// connection) ended.
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            Self::Violation(v) | Self::ConnectionClosed(CloseCause::Violation(v)) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for FailureCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::GoAway(g) => {
                write!(f, "GOAWAY last_stream_id={} error_code={}", g.last_stream_id, g.error_code)
            }
            Self::Reset(reason) => write!(f, "reset by the server with {reason}"),
            Self::Violation(v) => write!(f, "reset with {}: {v}", v.reason()),
            Self::ConnectionClosed(c) => write!(f, "connection closed: {c}"),
            Self::NotOpened => f.write_str("connection stopped taking streams"),
        }
    }
}

/// Everything known about a stream that ended without a complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    pub go_away: Option<GoAway>,
    /// The verdict derived from the above (DESIGN.md §2).
    pub processing: Processing,
}

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream {} failed ({}, {}): {}", self.stream_id, self.processing, self.phase, self.cause)
    }
}

/// Which of the connection's own deadlines passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deadline {
    /// A keep-alive PING went unanswered (`Config::keepalive_timeout`).
    KeepAlive,
    /// No stream for `Config::idle_timeout`.
    Idle,
    /// Streams still open `Config::go_away_drain_timeout` after our GOAWAY.
    GoAwayDrain,
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::KeepAlive => "keep-alive PING",
            Self::Idle => "idle connection",
            Self::GoAwayDrain => "GOAWAY drain",
        })
    }
}

/// How a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// It drained after a GOAWAY (ours or the peer's) with no stream left.
    Drained,
    /// The transport reached EOF.
    Eof,
    /// The transport failed (reset, I/O error); the text is the driver's.
    Transport(String),
    /// We closed it with GOAWAY([`Violation::reason`]): the server broke a
    /// rule of the connection.
    Violation(Violation),
    /// The application closed it with GOAWAY carrying this code
    /// ([`super::Connection::go_away`] with a code other than NO_ERROR).
    User(Reason),
    /// The peer's GOAWAY carried an error code and the connection is done.
    GoAway(GoAway),
    /// One of the connection's deadlines passed.
    Timeout(Deadline),
}

impl CloseCause {
    /// The HTTP/2 error code the connection ended with, ours or the
    /// server's.
    pub fn reason(&self) -> Option<Reason> {
        match self {
            Self::Violation(v) => Some(v.reason()),
            Self::User(r) => Some(*r),
            Self::GoAway(g) => Some(g.error_code),
            Self::Drained | Self::Eof | Self::Transport(_) | Self::Timeout(_) => None,
        }
    }
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Drained => f.write_str("drained after GOAWAY"),
            Self::Eof => f.write_str("peer closed the connection"),
            Self::Transport(e) => write!(f, "transport error: {e}"),
            Self::Violation(v) => write!(f, "{}: {v}", v.reason()),
            Self::User(reason) => write!(f, "{reason}: closed by the application"),
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
    GoingAway(Option<GoAway>),
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
