//! What reaches a connection's task from outside: requests from the pool's
//! handles, body chunks from upload pumps, and flow-control credit and
//! cancellations from the responses being read.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;

use baton_proto::h2::StreamId;

use super::credit::ConnCredit;
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
    /// Ended bodies handed back a quarter of the connection window
    /// (`credit.rs`): take it in now.
    Credit,
    /// The response's reader is gone before the end.
    Cancel(StreamId),
    /// Some caller stopped waiting for its response head.
    Reap,
    /// The client is shutting down: GOAWAY(NO_ERROR), streams may finish
    /// until then, and the connection closes.
    Shutdown(std::time::Instant),
}

/// A response body's way back to its connection. Strong: a response being
/// read keeps its connection's driver listening.
pub(super) struct H2Release {
    pub(super) tx: mpsc::UnboundedSender<Cmd>,
    pub(super) id: StreamId,
    pub(super) credit: Arc<ConnCredit>,
}

impl Release for H2Release {
    fn release(&self, n: usize) {
        let _ = self.tx.send(Cmd::Release(self.id, n));
    }

    fn release_ended(&self, n: usize) {
        if self.credit.add(n) {
            let _ = self.tx.send(Cmd::Credit);
        }
    }

    fn cancel(&self) {
        let _ = self.tx.send(Cmd::Cancel(self.id));
    }
}
