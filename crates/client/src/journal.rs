//! The journal of one request: every attempt, how far it got, and why it was
//! retried (DESIGN.md §2).

use std::fmt;
use std::time::Duration;

use http::Version;

pub use baton_proto::h2::GoAwayInfo;
pub use baton_proto::{Phase, Processing};

/// Why an attempt was followed by another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryReason {
    /// The request never left this process (DESIGN.md §3 rule 1).
    NotSent,
    /// The stream was above a GOAWAY's last_stream_id (RFC 9113 §6.8).
    GoAway,
    /// The server answered RST_STREAM(REFUSED_STREAM) (RFC 9113 §8.7).
    Refused,
    /// The outcome was unknown and the request is idempotent (rule 2).
    Idempotent,
    /// The server asked for HTTP/1.1 (HTTP_1_1_REQUIRED, rule 5).
    Http11Required,
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotSent => "not sent",
            Self::GoAway => "above GOAWAY last_stream_id",
            Self::Refused => "REFUSED_STREAM",
            Self::Idempotent => "idempotent, outcome unknown",
            Self::Http11Required => "HTTP_1_1_REQUIRED",
        })
    }
}

/// One try of a request on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Which connection (unique within the client).
    pub connection_id: u64,
    /// Whether the connection had carried requests before this one.
    pub reused: bool,
    /// HTTP version spoken.
    pub version: Version,
    /// The HTTP/2 stream id, when a stream was opened.
    pub stream_id: Option<u32>,
    /// How far the attempt got.
    pub phase: Phase,
    /// Request body bytes confirmed written.
    pub body_sent: u64,
    /// The last GOAWAY seen on the connection during the attempt.
    pub go_away: Option<GoAwayInfo>,
    /// What went wrong, for a failed attempt.
    pub error: Option<String>,
    /// The verdict, for a failed attempt.
    pub processing: Option<Processing>,
    /// Why the next attempt was made, if one was.
    pub retried: Option<RetryReason>,
    /// Back-off waited before the next attempt.
    pub backoff: Duration,
}

impl Attempt {
    pub(crate) fn new(connection_id: u64, reused: bool, version: Version) -> Self {
        Self {
            connection_id,
            reused,
            version,
            stream_id: None,
            phase: Phase::Queued,
            body_sent: 0,
            go_away: None,
            error: None,
            processing: None,
            retried: None,
            backoff: Duration::ZERO,
        }
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection {} ({:?}", self.connection_id, self.version)?;
        if self.reused {
            f.write_str(", reused")?;
        }
        f.write_str(")")?;
        if let Some(id) = self.stream_id {
            write!(f, " stream {id}")?;
        }
        write!(f, ": {}", self.phase)?;
        if let Some(p) = self.processing {
            write!(f, ", {p}")?;
        }
        if let Some(g) = &self.go_away {
            write!(f, ", GOAWAY last_stream_id={} {}", g.last_stream_id, g.error_code)?;
        }
        if let Some(e) = &self.error {
            write!(f, ", {e}")?;
        }
        if let Some(r) = self.retried {
            write!(f, "; retried ({r})")?;
        }
        Ok(())
    }
}
