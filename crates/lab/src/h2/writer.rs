//! The write half: batches of bytes in, written in order; a shutdown
//! request sends FIN.

use bytes::Bytes;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the connection asks the writer to do.
#[derive(Debug)]
pub(super) enum Out {
    Bytes(Bytes),
    /// Flush, then shut down the write side (FIN).
    Shutdown,
}

pub(super) fn spawn<W>(write: W) -> (mpsc::UnboundedSender<Out>, JoinHandle<()>)
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    (tx, tokio::spawn(run(write, rx)))
}

async fn run<W: AsyncWrite + Unpin>(mut write: W, mut rx: mpsc::UnboundedReceiver<Out>) {
    let mut batch: Vec<Bytes> = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut shutdown = false;
        match first {
            Out::Bytes(b) => batch.push(b),
            Out::Shutdown => shutdown = true,
        }
        // Take whatever else is already queued, to write it in one go.
        while !shutdown {
            match rx.try_recv() {
                Ok(Out::Bytes(b)) => batch.push(b),
                Ok(Out::Shutdown) => shutdown = true,
                Err(_) => break,
            }
        }
        for b in batch.drain(..) {
            if write.write_all(&b).await.is_err() {
                return;
            }
        }
        if write.flush().await.is_err() {
            return;
        }
        if shutdown {
            let _ = write.shutdown().await;
            return;
        }
    }
}
