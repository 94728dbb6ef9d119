//! Errors of the HTTP/1.1 engine: what the server got wrong, what the
//! caller got wrong, and how a connection or request ended.

use std::fmt;

use http::HeaderName;

use crate::{Phase, Processing};

/// The server's bytes break RFC 9112 or one of our [`Config`](super::Config)
/// limits. The connection cannot be trusted after any of these (RFC 9112
/// §6.3: framing errors are unrecoverable).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The response head is larger than `Config::max_head_size`.
    HeadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The head (or trailer section) has more fields than
    /// `Config::max_headers`.
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// The status line or a field line is malformed (httparse's verdict).
    InvalidHead(&'static str),
    /// A field name or value is not acceptable to `http` (e.g. a control
    /// byte in a value).
    InvalidHeader,
    /// `101 Switching Protocols`: upgrades are not supported (we never ask
    /// for one, and RFC 9110 §15.2.2 forbids switching unasked).
    UpgradeNotSupported,
    /// RFC 9112 §6.3 item 5: a Content-Length that is not a list of equal
    /// decimal numbers fitting 64 bits.
    InvalidContentLength,
    /// A chunk-size line or chunk delimiter is malformed (RFC 9112 §7.1).
    InvalidChunk(&'static str),
    /// A chunk size does not fit 64 bits.
    ChunkSizeOverflow,
    /// A chunk-size line is longer than `Config::max_chunk_line`.
    ChunkLineTooLong {
        /// The limit.
        limit: usize,
    },
    /// The trailer section is larger than `Config::max_trailer_size`.
    TrailersTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The trailer section is malformed.
    InvalidTrailers(&'static str),
    /// The connection ended before the response was complete (only
    /// [`ResponseDecoder::decode_eof`](super::ResponseDecoder::decode_eof)
    /// reports this; the connection reports [`CloseCause::Eof`]).
    Incomplete,
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HeadTooLarge { limit } => write!(f, "response head larger than {limit} bytes"),
            Self::TooManyHeaders { limit } => write!(f, "more than {limit} header fields"),
            Self::InvalidHead(why) => write!(f, "malformed response head: {why}"),
            Self::InvalidHeader => f.write_str("invalid header field in response"),
            Self::UpgradeNotSupported => f.write_str("101 Switching Protocols: upgrade not supported"),
            Self::InvalidContentLength => f.write_str("invalid or conflicting Content-Length"),
            Self::InvalidChunk(why) => write!(f, "malformed chunked body: {why}"),
            Self::ChunkSizeOverflow => f.write_str("chunk size does not fit 64 bits"),
            Self::ChunkLineTooLong { limit } => write!(f, "chunk-size line longer than {limit} bytes"),
            Self::TrailersTooLarge { limit } => write!(f, "trailer section larger than {limit} bytes"),
            Self::InvalidTrailers(why) => write!(f, "malformed trailer section: {why}"),
            Self::Incomplete => f.write_str("connection closed before the response was complete"),
        }
    }
}

impl std::error::Error for ResponseError {}

/// Why a command from the application was refused. Nothing was queued: the
/// connection is as it was before the call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendError {
    /// A request is in flight; HTTP/1.1 without pipelining takes one at a
    /// time.
    Busy,
    /// The connection is closed or will close after the current exchange;
    /// the request can go to another connection as it is.
    Closed,
    /// The method cannot be sent in origin-form (`CONNECT`).
    UnsupportedMethod,
    /// The request target cannot be sent (detail says why).
    InvalidUri(&'static str),
    /// A header field cannot be sent (detail says why).
    InvalidHeader {
        /// The field.
        name: HeaderName,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No request body is expected now: no request is in flight, it had no
    /// body, or its end was already queued.
    NotWritable,
    /// The server sent its final response before the request body was
    /// complete; the rest of the body is not wanted (RFC 9112 §9.5).
    BodyNotWanted,
    /// More body bytes than the request's Content-Length.
    BodyTooLong {
        /// The declared length.
        declared: u64,
        /// Bytes the body would have had with this call.
        attempted: u64,
    },
    /// The body was ended short of its Content-Length.
    BodyTooShort {
        /// The declared length.
        declared: u64,
        /// Bytes the body would have had.
        sent: u64,
    },
    /// Trailers need the chunked coding (RFC 9112 §7.1.2); this request has
    /// a Content-Length.
    TrailersNeedChunked,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Busy => f.write_str("a request is already in flight on this connection"),
            Self::Closed => f.write_str("connection closed"),
            Self::UnsupportedMethod => f.write_str("CONNECT is not supported over this connection"),
            Self::InvalidUri(why) => write!(f, "invalid request target: {why}"),
            Self::InvalidHeader { name, reason } => write!(f, "invalid header {name}: {reason}"),
            Self::NotWritable => f.write_str("no request body is expected now"),
            Self::BodyNotWanted => f.write_str("the server responded before the request body was complete"),
            Self::BodyTooLong { declared, attempted } => {
                write!(f, "body of {attempted} bytes exceeds its Content-Length of {declared}")
            }
            Self::BodyTooShort { declared, sent } => {
                write!(f, "body ended after {sent} of its {declared} declared bytes")
            }
            Self::TrailersNeedChunked => f.write_str("trailers need a chunked request body"),
        }
    }
}

impl std::error::Error for SendError {}

/// How a connection ended, or why the request on it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// The exchange finished and the connection does not persist: a
    /// `Connection: close` from either side, HTTP/1.0 without keep-alive,
    /// an early response, or framing that forbids reuse (RFC 9112 §9.3,
    /// §6.3).
    NotPersistent,
    /// The server closed the connection (EOF on read).
    Eof,
    /// The transport failed; the text is the driver's.
    Transport(String),
    /// The server's bytes broke the protocol or a limit.
    InvalidResponse(ResponseError),
    /// Bytes arrived that cannot answer a request of ours: on an idle
    /// connection, or before any byte of the request was written (RFC 9112
    /// §9.2). Typically a `408` an idle-timeout sends before closing.
    UnsolicitedResponse,
    /// The application gave up on the request (see
    /// [`Connection::abort`](super::Connection::abort)).
    Aborted(String),
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPersistent => f.write_str("connection not persistent"),
            Self::Eof => f.write_str("peer closed the connection"),
            Self::Transport(e) => write!(f, "transport error: {e}"),
            Self::InvalidResponse(e) => write!(f, "invalid response: {e}"),
            Self::UnsolicitedResponse => f.write_str("unsolicited response bytes"),
            Self::Aborted(why) => write!(f, "aborted: {why}"),
        }
    }
}

/// Everything known about a request that ended without a complete
/// response: the journal of DESIGN.md §2 for one HTTP/1.1 attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFailure {
    /// Why it failed.
    pub cause: CloseCause,
    /// The journal phase it had reached.
    pub phase: Phase,
    /// Request bytes (head and framed body) confirmed written. Zero is the
    /// proof behind [`Processing::NotSent`] on HTTP/1.1.
    pub bytes_written: u64,
    /// Request body bytes (payload, without chunk framing) confirmed written.
    pub body_sent: u64,
    /// Response body bytes received.
    pub body_received: u64,
    /// True when the connection had carried an earlier request.
    pub reused: bool,
    /// The verdict derived from the above (DESIGN.md §2).
    pub processing: Processing,
}

impl fmt::Display for RequestFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "request failed ({}, {}, {} request bytes written{}): {}",
            self.processing,
            self.phase,
            self.bytes_written,
            if self.reused { ", reused connection" } else { "" },
            self.cause
        )
    }
}

impl std::error::Error for RequestFailure {}
