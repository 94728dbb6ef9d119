//! A streamed request body's pump: a task that reads the caller's body
//! chunk by chunk, each time the engine says the stream can take more, and
//! hands the chunks to the driver.
//!
//! The driver owns an [`Upload`] for every pump; the pump holds the other
//! end. When the driver lets go of the stream (its response failed, the
//! server reset it after a complete response, the request side ended), the
//! `Upload` is dropped and the pump stops at once, dropping the caller's
//! body: a body fed from a channel sees its receiver gone instead of
//! waiting on a window that will never open (RFC 9113 §6.9: a reset stream
//! gets no more WINDOW_UPDATEs; §8.1: RST_STREAM after a complete response
//! stops the request side). It stops even while it waits on the caller for
//! the next chunk: that wait holds the body's replay buffer, which the
//! retry of a failed attempt must read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};

use super::command::Cmd;
use crate::body::BodyReader;
use baton_proto::h2::frame::StreamId;

/// What the driver and a pump share.
#[derive(Default)]
struct Signal {
    /// Room to write, or the stop below.
    notify: Notify,
    stopped: AtomicBool,
    /// The stop alone, for a pump waiting on the caller's body.
    stop: Notify,
}

/// The driver's end of a pump: wakes it when the stream can take more, and
/// stops it when dropped.
pub(super) struct Upload(Arc<Signal>);

impl Upload {
    pub(super) fn new() -> Self {
        Self(Arc::default())
    }

    /// The stream can take more body.
    pub(super) fn writable(&self) {
        self.0.notify.notify_one();
    }

    /// Starts the pump for `body` on stream `id`, feeding the driver's
    /// queue `tx`.
    pub(super) fn spawn(&self, body: BodyReader, id: StreamId, tx: &mpsc::WeakUnboundedSender<Cmd>) {
        // A caller waits on this stream, so a strong sender still exists.
        if let Some(tx) = tx.upgrade() {
            tokio::spawn(pump(body, id, self.0.clone(), tx));
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
        // A permit is kept if the pump is not waiting yet: it still sees
        // the stop on its next wait.
        self.0.notify.notify_one();
        self.0.stop.notify_one();
    }
}

async fn pump(mut body: BodyReader, id: StreamId, signal: Arc<Signal>, tx: mpsc::UnboundedSender<Cmd>) {
    loop {
        // A driver that ended never says writable again: stop with it.
        tokio::select! {
            () = signal.notify.notified() => {}
            () = tx.closed() => return,
        }
        if signal.stopped.load(Ordering::Acquire) {
            return;
        }
        // Reading a chunk can be given up at any await: nothing is taken
        // from the caller's body until it is ready.
        let next = tokio::select! {
            next = body.next() => next,
            () = signal.stop.notified() => return,
        };
        let cmd = match next {
            Some(Ok(chunk)) => Cmd::Data(id, chunk, false),
            None => Cmd::Data(id, Bytes::new(), true),
            Some(Err(e)) => Cmd::BodyFailed(id, e.to_string()),
        };
        let last = !matches!(cmd, Cmd::Data(_, _, false));
        if tx.send(cmd).is_err() || last {
            return;
        }
    }
}
