//! Reading request bodies (RFC 9112 §6.3): by length, chunked, or none,
//! with `100 Continue` sent first to a client that waits for it (RFC 9110
//! §10.1.1), and a size cap (413, RFC 9110 §15.5.14).

use std::io;

use bytes::Bytes;
use http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite};

use super::chunked::ChunkedDecoder;
use super::conn::Conn;
use super::head::{Framing, RequestHead};

/// Largest request body accepted.
pub(super) const MAX_BODY: u64 = 64 << 20;

/// Why a body could not be read.
#[derive(Debug)]
pub(super) enum Failure {
    /// The connection failed or ended.
    Io(io::Error),
    /// Answer with this status and close.
    Reject(StatusCode),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

fn ended() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "connection ended inside a request body")
}

impl<IO> Conn<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Reads the body of the request whose head was just consumed.
    pub(super) async fn read_body(&mut self, head: &RequestHead) -> Result<Bytes, Failure> {
        match head.framing {
            Framing::None => Ok(Bytes::new()),
            Framing::Length(len) => {
                // Refused before the client sends it: no 100 Continue.
                let len = usize::try_from(len).ok().filter(|&l| l as u64 <= MAX_BODY);
                let len = len.ok_or(Failure::Reject(StatusCode::PAYLOAD_TOO_LARGE))?;
                self.continue_if_expected(head);
                self.input.reserve(len.saturating_sub(self.input.len()));
                while self.input.len() < len {
                    if self.read_more().await? == 0 {
                        return Err(ended().into());
                    }
                }
                Ok(self.input.split_to(len).freeze())
            }
            Framing::Chunked => {
                self.continue_if_expected(head);
                let mut decoder = ChunkedDecoder::new(MAX_BODY);
                while !decoder.decode(&mut self.input, &mut self.body).map_err(Failure::Reject)? {
                    if self.read_more().await? == 0 {
                        return Err(ended().into());
                    }
                }
                Ok(self.body.split().freeze())
            }
        }
    }

    /// Reads about half the body (at least its first bytes), for
    /// `disconnect at=mid-request-body`; nothing when there is no body.
    pub(super) async fn read_part_of_body(&mut self, head: &RequestHead) -> io::Result<()> {
        let want = match head.framing {
            Framing::None => return Ok(()),
            Framing::Length(len) => (len.min(MAX_BODY) / 2).max(1),
            Framing::Chunked => 1,
        };
        self.continue_if_expected(head);
        while (self.input.len() as u64) < want {
            if self.read_more().await? == 0 {
                break;
            }
        }
        Ok(())
    }

    /// Queues `100 Continue` when the client waits for it and has sent none
    /// of the body yet (RFC 9110 §10.1.1 lets a server skip it otherwise).
    fn continue_if_expected(&mut self, head: &RequestHead) {
        if head.expect_continue && self.input.is_empty() {
            self.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
    }
}
