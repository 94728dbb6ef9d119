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
pub(crate) mod shutdown;
mod socket;
mod timer;

pub(crate) use body_channel::{BodyReceiver, BodySender, body_channel};
pub(crate) use expect::{CONTINUE_WAIT, expects_continue};
use read_room::ReadRoom;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri, Version};
use tokio::sync::oneshot;

use crate::body::BodyReader;
use crate::failure::AttemptFailure;
use crate::journal::Attempt;

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

/// A piece of a response body.
#[derive(Debug)]
pub(crate) enum BodyEvent {
    Data(Bytes),
    /// Boxed: rare, and the size of every event (queued inline in the
    /// body channel's allocation, `body_channel.rs`) follows the largest.
    Trailers(Box<HeaderMap>),
    End,
    /// Boxed: rare, and large beside the other variants.
    Failed(Box<AttemptFailure>),
}

/// Hands consumed body bytes back to the connection so its flow-control
/// windows reopen (the back-pressure of RFC 9113 §5.2).
pub(crate) trait Release: Send + Sync {
    fn release(&self, n: usize);
    /// As [`Self::release`], once the body has ended or been abandoned:
    /// no stream window is left to reopen, so the connection may take the
    /// bytes in when it next runs rather than be woken for them.
    fn release_ended(&self, n: usize) {
        self.release(n);
    }
    /// The reader is gone before the end: reset the stream.
    fn cancel(&self);
}

/// A response head and the channel its body arrives on.
pub(crate) struct ResponseParts {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) version: Version,
    /// HTTP/1.x's reason phrase; HTTP/2 has none.
    pub(crate) reason: Option<Bytes>,
    /// The body's channel, holding the connection's [`Release`].
    pub(crate) body: BodyReceiver,
    pub(crate) attempt: Attempt,
}

/// How an attempt ended before its body.
///
/// Both boxed: it crosses a oneshot channel and several futures' `poll`
/// returns, each a copy of the whole value (`ResponseParts` is 384 bytes;
/// measured with callgrind, the box costs less than the copies).
pub(crate) enum Outcome {
    Response(Box<ResponseParts>),
    Failed(Box<AttemptFailure>),
}

/// How long a closed connection may take to write its last bytes (HTTP/2's
/// last frames, HTTP/1.1's shutdown): a server that stops reading must not
/// keep a task and its socket alive.
pub(crate) const FINAL_FLUSH: std::time::Duration = std::time::Duration::from_secs(1);

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
