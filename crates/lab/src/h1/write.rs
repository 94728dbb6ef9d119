//! Writing a route's [`Plan`] as an HTTP/1.1 response: the head, then the
//! body as its framing says, paced chunks `interval` apart, trailers after
//! the last chunk, optionally cut short (`disconnect at=mid-response`).

use std::io;

use http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite};

use super::conn::Conn;
use super::response::{self, BodyFraming, Head};
use crate::routes::{Plan, PlanBody};

/// How to write one response.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answer {
    /// Body framing (from [`response::framing`]).
    pub(super) framing: BodyFraming,
    /// `Connection` option to answer.
    pub(super) connection: Option<&'static str>,
    /// Head only: the request was HEAD (RFC 9110 §9.3.2).
    pub(super) head_only: bool,
    /// Stop after this many body bytes.
    pub(super) cut: Option<usize>,
}

impl<IO> Conn<IO>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Writes `plan` (small responses stay queued until the next flush).
    pub(super) async fn write_response(&mut self, plan: &Plan, answer: Answer) -> io::Result<()> {
        let head = Head {
            status: plan.status,
            fields: &plan.headers,
            framing: answer.framing,
            trailers: plan.trailers.as_ref(),
            connection: answer.connection,
        };
        response::encode_head(&mut self.out, &head);
        if answer.head_only || answer.framing == BodyFraming::None {
            return self.flush_if_full().await;
        }
        let chunked = answer.framing == BodyFraming::Chunked;
        let mut budget = answer.cut.unwrap_or(usize::MAX);
        match &plan.body {
            PlanBody::Full(data) => {
                if !self.piece(data, chunked, &mut budget).await? {
                    return Ok(());
                }
            }
            PlanBody::Paced { chunk, count, interval } => {
                for i in 0..*count {
                    if i > 0 {
                        // Each chunk leaves on its own, `interval` apart.
                        self.flush().await?;
                        tokio::time::sleep(*interval).await;
                    }
                    if !self.piece(chunk, chunked, &mut budget).await? {
                        return Ok(());
                    }
                }
            }
        }
        if chunked {
            response::last_chunk(&mut self.out, plan.trailers.as_ref());
        }
        self.flush_if_full().await
    }

    /// Writes one piece of body, as a chunk when `chunked`, at most
    /// `budget` bytes of it; false when the budget cut it short.
    async fn piece(&mut self, data: &[u8], chunked: bool, budget: &mut usize) -> io::Result<bool> {
        if data.is_empty() {
            // An empty chunk would end the body.
            return Ok(true);
        }
        let take = data.len().min(*budget);
        *budget -= take;
        if chunked {
            response::chunk_size(&mut self.out, data.len());
        }
        self.emit(&data[..take]).await?;
        if take < data.len() {
            return Ok(false);
        }
        if chunked {
            self.out.extend_from_slice(b"\r\n");
        }
        Ok(true)
    }

    /// Answers an unacceptable request with `status` and closes (RFC 9112
    /// §2.2, §6.3: a request whose framing cannot be trusted ends the
    /// connection).
    pub(super) async fn reject(mut self, status: StatusCode) -> io::Result<()> {
        response::encode_error(&mut self.out, status);
        self.close().await
    }
}
