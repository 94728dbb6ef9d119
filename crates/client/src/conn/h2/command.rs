//! What reaches a connection's task from outside: requests from the pool's
//! handles, body chunks from upload pumps, and flow-control credit and
//! cancellations from the responses being read.

use bytes::Bytes;
use tokio::sync::mpsc;

use baton_proto::h2::StreamId;

use crate::conn::{AttemptRequest, Release};

/// One command for the driver.
pub(super) enum Cmd {
    /// A request for a reserved stream slot.
    Request(Box<AttemptRequest>),
    /// A chunk of a streamed body; `true` ends it.
    Data(StreamId, Bytes, bool),
    /// A streamed body's source failed (its error's text).
    BodyFailed(StreamId, String),
    /// The response's reader consumed this many body bytes.
    Release(StreamId, usize),
    /// The response's reader is gone before the end.
    Cancel(StreamId),
    /// Some caller stopped waiting for its response head.
    Reap,
}

/// A response body's way back to its connection. Strong: a response being
/// read keeps its connection's driver listening.
pub(super) struct H2Release {
    pub(super) tx: mpsc::UnboundedSender<Cmd>,
    pub(super) id: StreamId,
}

impl Release for H2Release {
    fn release(&self, n: usize) {
        let _ = self.tx.send(Cmd::Release(self.id, n));
    }

    fn cancel(&self) {
        let _ = self.tx.send(Cmd::Cancel(self.id));
    }
}
