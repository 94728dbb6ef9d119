//! One connection's IO and buffers. Output is queued in one buffer and
//! written when the connection would otherwise wait (for input, a timer or
//! the close), so a head and a small body, or the responses to pipelined
//! requests, leave in one write.

use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;

/// Read buffer growth step.
const READ_CHUNK: usize = 8 << 10;

/// Bodies up to this size are copied into the output buffer; larger ones
/// are written together with it by one vectored write.
const INLINE: usize = 16 << 10;

/// Queued output beyond this is written at once.
const OUT_HIGH_WATER: usize = 64 << 10;

/// How long, and how much, a graceful close drains what the client sends.
const LINGER_TIME: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1 << 20;

/// A connection: the IO, the unparsed input, and the queued output.
#[derive(Debug)]
pub(super) struct Conn<IO> {
    io: IO,
    /// Bytes read and not yet consumed.
    pub(super) input: BytesMut,
    /// A decoded chunked request body being assembled.
    pub(super) body: BytesMut,
    /// Output not yet written.
    pub(super) out: Vec<u8>,
}

impl<IO> Conn<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Wraps `io`.
    pub(super) fn new(io: IO) -> Self {
        Self {
            io,
            input: BytesMut::with_capacity(READ_CHUNK),
            body: BytesMut::new(),
            out: Vec::with_capacity(READ_CHUNK),
        }
    }

    /// Writes the queued output.
    pub(super) async fn flush(&mut self) -> io::Result<()> {
        if !self.out.is_empty() {
            self.io.write_all(&self.out).await?;
            self.out.clear();
        }
        self.io.flush().await
    }

    /// Writes the queued output if there is a lot of it.
    pub(super) async fn flush_if_full(&mut self) -> io::Result<()> {
        if self.out.len() >= OUT_HIGH_WATER { self.flush().await } else { Ok(()) }
    }

    /// Queues `data` after the queued output; a large `data` is written
    /// with it at once, in one vectored write.
    pub(super) async fn emit(&mut self, data: &[u8]) -> io::Result<()> {
        if data.len() <= INLINE {
            self.out.extend_from_slice(data);
            return self.flush_if_full().await;
        }
        let mut both = Buf::chain(&self.out[..], data);
        self.io.write_all_buf(&mut both).await?;
        self.out.clear();
        Ok(())
    }

    /// Flushes, then reads more input; `Ok(0)` at the end of the stream.
    pub(super) async fn read_more(&mut self) -> io::Result<usize> {
        self.flush().await?;
        self.input.reserve(READ_CHUNK);
        self.io.read_buf(&mut self.input).await
    }

    /// [`Self::read_more`] that gives up with `Ok(None)` when `reload`
    /// changes first.
    pub(super) async fn read_or_reload(
        &mut self,
        reload: &mut watch::Receiver<u64>,
    ) -> io::Result<Option<usize>> {
        self.flush().await?;
        self.input.reserve(READ_CHUNK);
        let changed = async {
            if reload.changed().await.is_err() {
                // The sender lives as long as the server: never.
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            biased;
            () = changed => Ok(None),
            read = self.io.read_buf(&mut self.input) => read.map(Some),
        }
    }

    /// Closes gracefully (RFC 9112 §9.6): flushes, half-closes (TLS
    /// close_notify, then FIN) and drains what the client still sends for a
    /// moment, so that unread input does not turn the close into a reset
    /// that could destroy the last response before the client reads it.
    pub(super) async fn close(mut self) -> io::Result<()> {
        self.flush().await?;
        self.io.shutdown().await?;
        let drain = async {
            let mut drained = 0;
            while drained < LINGER_BYTES {
                self.input.clear();
                self.input.reserve(READ_CHUNK);
                match self.io.read_buf(&mut self.input).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => drained += n,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
        Ok(())
    }

    /// Waits for the first byte of the client's next request, reads only
    /// that byte and drops the connection with the rest unread: on TCP the
    /// kernel then answers with RST (RFC 1122 §4.2.2.13), the keep-alive
    /// race of DESIGN.md S18.
    pub(super) async fn drop_on_arrival(mut self) -> io::Result<()> {
        self.flush().await?;
        if self.input.is_empty() {
            let mut first = [0u8; 1];
            let _ = self.io.read(&mut first).await?;
        }
        Ok(())
    }
}
