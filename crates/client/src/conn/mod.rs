//! Connections: one driver task per connection owns its sans-IO engine;
//! requests reach it over a channel, so a GOAWAY and a new stream can never
//! race (DESIGN.md §1).

mod body_channel;
pub(crate) mod budget;
mod expect;
pub(crate) mod h1;
pub(crate) mod h2;
pub(crate) mod origin;
mod read_room;

pub(crate) use body_channel::{BodyReceiver, BodySender, body_channel};
use expect::CONTINUE_WAIT;
pub(crate) use expect::expects_continue;
use read_room::ReadRoom;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri, Version};
use tokio::sync::oneshot;

use crate::body::BodyReader;
use crate::journal::{Attempt, GoAwayInfo, Processing};

/// One attempt of a request, handed to a connection (HTTP/2 driver or
/// HTTP/1.1 exchange); the outcome comes back on `respond`.
pub(crate) struct AttemptRequest {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: BodyReader,
    pub(crate) attempt: Attempt,
    pub(crate) respond: oneshot::Sender<Outcome>,
}

/// What failed in one attempt.
#[derive(Debug, Clone)]
pub(crate) enum FailureCause {
    /// The stream was above a GOAWAY's last_stream_id.
    GoAway,
    /// RST_STREAM from the server with this code.
    Reset(u32),
    /// We reset the stream: the server broke a rule (detail says which).
    Protocol(String),
    /// The connection closed or failed under the stream.
    Closed(String),
    /// The connection could not take the stream at all (closed, going
    /// away, at its limit): another connection may.
    Rejected(String),
    /// The request itself cannot be sent (a header or target the protocol
    /// forbids, a Content-Length its body contradicts): no connection can
    /// take it, so it is never retried.
    Invalid(String),
    /// The request body failed to produce bytes.
    Body(String),
    /// No connection could be set up; nothing was sent.
    Connect(String),
}

/// One failed attempt: the journal entry and the facts retry needs.
#[derive(Debug, Clone)]
pub(crate) struct AttemptFailure {
    pub(crate) attempt: Attempt,
    pub(crate) cause: FailureCause,
    pub(crate) processing: Processing,
    /// The failing connection's first stream, on a connection opened for it.
    pub(crate) first_on_connection: bool,
}

impl AttemptFailure {
    pub(crate) fn go_away(&self) -> Option<&GoAwayInfo> {
        self.attempt.go_away.as_ref()
    }
}

/// A piece of a response body.
#[derive(Debug)]
pub(crate) enum BodyEvent {
    Data(Bytes),
    Trailers(HeaderMap),
    End,
    /// Boxed: rare, and large beside the other variants.
    Failed(Box<AttemptFailure>),
}

/// Hands consumed body bytes back to the connection so its flow-control
/// windows reopen (the back-pressure of RFC 9113 §5.2).
pub(crate) trait Release: Send + Sync {
    fn release(&self, n: usize);
    /// The reader is gone before the end: reset the stream.
    fn cancel(&self);
}

/// A response head and the channel its body arrives on.
pub(crate) struct ResponseParts {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) version: Version,
    /// The body's channel, holding the connection's [`Release`].
    pub(crate) body: BodyReceiver,
    pub(crate) attempt: Attempt,
}

/// How an attempt ended before its body.
pub(crate) enum Outcome {
    Response(ResponseParts),
    Failed(AttemptFailure),
}

/// How long a closed connection may take to write its last bytes (HTTP/2's
/// last frames, HTTP/1.1's shutdown): a server that stops reading must not
/// keep a task and its socket alive.
const FINAL_FLUSH: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a request body may go without a byte written before the
/// request fails: the server stopped reading it (DESIGN.md §6, a stall ends
/// in an error, not a hang; HTTP/2's engine applies the same limit to a
/// shut window).
const SEND_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// Sleeps until `deadline`; never wakes for `None` (a `select!` branch
/// with nothing to wait for).
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
