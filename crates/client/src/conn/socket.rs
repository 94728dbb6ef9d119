//! A connection task's wait on its socket in both directions at once.
//!
//! `tokio::io::split` gives two halves to wait on side by side in a
//! `select!`, but takes a lock on every poll of either half; an HTTP/1.1
//! exchange polls its read several times and its write once or more (the
//! locks were about 260 instructions of a 100-byte request's 24,000 by
//! callgrind, `baton bench --http1.1`; about 70 of an HTTP/2 one's
//! 21,800). A connection's task owns its socket alone: it polls both
//! directions itself, with no lock (HTTP/1.1 with [`read_or_write`], the
//! HTTP/2 driver in its own order with [`poll_read_buf`]).

use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// What the socket did first.
pub(crate) enum Done {
    /// Bytes read into the buffer (0: the server closed its side).
    Read(io::Result<usize>),
    /// Bytes of the pending data written.
    Written(io::Result<usize>),
}

/// Waits until `io` has read into `recv`'s spare room (when there is a
/// `recv`) or written some of `pending` (when it is not empty), whichever
/// comes first. `read_first` says which is polled first: a caller that
/// alternates it keeps a busy direction from starving the other. With
/// neither a `recv` nor anything pending, it never finishes.
pub(crate) fn read_or_write<'a, IO>(
    io: &'a mut IO,
    recv: Option<&'a mut BytesMut>,
    pending: &'a [u8],
    read_first: bool,
) -> ReadOrWrite<'a, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    ReadOrWrite { io, recv, pending, read_first }
}

/// Reads from `io` into `recv`'s spare room, as much as is there to read:
/// tokio's own `read_buf`, made and polled here (it reads into the spare
/// capacity without zeroing it first). 0: the peer closed its side.
pub(crate) fn poll_read_buf<IO>(
    io: &mut IO,
    cx: &mut Context<'_>,
    recv: &mut BytesMut,
) -> Poll<io::Result<usize>>
where
    IO: AsyncRead + Unpin + ?Sized,
{
    pin!(io.read_buf(recv)).poll(cx)
}

/// The future of [`read_or_write`].
pub(crate) struct ReadOrWrite<'a, IO: ?Sized> {
    io: &'a mut IO,
    recv: Option<&'a mut BytesMut>,
    pending: &'a [u8],
    read_first: bool,
}

impl<IO> ReadOrWrite<'_, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<Done> {
        match self.recv.as_deref_mut() {
            Some(recv) => poll_read_buf(self.io, cx, recv).map(Done::Read),
            None => Poll::Pending,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<Done> {
        if self.pending.is_empty() {
            return Poll::Pending;
        }
        Pin::new(&mut *self.io).poll_write(cx, self.pending).map(Done::Written)
    }
}

impl<IO> Future for ReadOrWrite<'_, IO>
where
    IO: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    type Output = Done;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Done> {
        let me = self.get_mut();
        if me.read_first {
            if let Poll::Ready(done) = me.poll_read(cx) {
                return Poll::Ready(done);
            }
            me.poll_write(cx)
        } else {
            if let Poll::Ready(done) = me.poll_write(cx) {
                return Poll::Ready(done);
            }
            me.poll_read(cx)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn reads_and_writes_through_one_owner() {
        let (mut ours, mut theirs) = tokio::io::duplex(64);
        let mut recv = BytesMut::with_capacity(16);
        // Nothing to read yet: the write goes, whichever is polled first.
        for read_first in [true, false] {
            match read_or_write(&mut ours, Some(&mut recv), b"ping", read_first).await {
                Done::Written(n) => assert_eq!(n.unwrap(), 4),
                Done::Read(_) => panic!("nothing was sent to read"),
            }
        }
        let mut got = [0u8; 8];
        theirs.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"pingping");
        // Nothing to write: the read waits for the bytes.
        theirs.write_all(b"pong").await.unwrap();
        match read_or_write(&mut ours, Some(&mut recv), &[], false).await {
            Done::Read(n) => assert_eq!(n.unwrap(), 4),
            Done::Written(_) => panic!("nothing was pending"),
        }
        assert_eq!(&recv[..], b"pong");
        // Both ready: the one asked for first wins.
        theirs.write_all(b"more").await.unwrap();
        assert!(matches!(read_or_write(&mut ours, Some(&mut recv), b"x", false).await, Done::Written(Ok(1))));
        assert!(matches!(read_or_write(&mut ours, Some(&mut recv), b"x", true).await, Done::Read(Ok(4))));
        assert_eq!(&recv[..], b"pongmore");
        // The server's close reads as 0.
        drop(theirs);
        assert!(matches!(read_or_write(&mut ours, Some(&mut recv), &[], true).await, Done::Read(Ok(0))));
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_buffer_only_the_write_counts() {
        let (mut ours, mut theirs) = tokio::io::duplex(64);
        theirs.write_all(b"unread").await.unwrap();
        assert!(matches!(read_or_write(&mut ours, None, b"abc", true).await, Done::Written(Ok(3))));
        let idle = read_or_write(&mut ours, None, &[], true);
        assert!(tokio::time::timeout(std::time::Duration::from_millis(10), idle).await.is_err());
    }
}
