//! The request mix, the same for every client: which method and body the
//! `i`th request of a scenario carries, and the `x-request-id` the lab's
//! ledger counts it under.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Method;

use super::cases::{Case, Shape};

/// A replayable POST body (`Shape::BigPosts`).
const BIG_POST: usize = 64 << 10;
/// One chunk of a one-shot body.
const ONE_SHOT_CHUNK: usize = 16 << 10;
/// Chunks in a one-shot body: 320 KiB, past baton's 256 KiB replay buffer.
const ONE_SHOT_CHUNKS: usize = 20;

/// What a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Payload {
    /// No body (the GETs).
    None,
    /// A short body in one piece.
    Text(&'static str),
    /// 64 KiB in one piece (replayable).
    Big,
    /// 320 KiB as a stream that can be read once ([`OneShot`]).
    OneShot,
}

impl Payload {
    /// The body in one piece, or `None` for [`Payload::OneShot`].
    pub(super) fn bytes(self) -> Option<Bytes> {
        match self {
            Self::None => Some(Bytes::new()),
            Self::Text(s) => Some(Bytes::from_static(s.as_bytes())),
            Self::Big => Some(Bytes::from(vec![b'b'; BIG_POST])),
            Self::OneShot => None,
        }
    }
}

/// One request of a scenario.
#[derive(Debug, Clone)]
pub(super) struct Req {
    /// Its `x-request-id`: `{scenario id}-{i}`.
    pub(super) id: String,
    pub(super) url: String,
    pub(super) method: Method,
    pub(super) payload: Payload,
}

impl Req {
    /// The `i`th request of `case`, sent to `url`: GET, PUT and POST in turn,
    /// or only POSTs for the big-body shapes.
    pub(super) fn nth(case: &Case, url: &str, i: usize) -> Self {
        let (method, payload) = match (case.shape, i % 3) {
            (Shape::BigPosts, _) => (Method::POST, Payload::Big),
            (Shape::OneShotPosts, _) => (Method::POST, Payload::OneShot),
            (_, 0) => (Method::GET, Payload::None),
            (_, 1) => (Method::PUT, Payload::Text("put")),
            _ => (Method::POST, Payload::Text("post")),
        };
        Self { id: format!("{}-{i}", case.id), url: url.to_owned(), method, payload }
    }

    /// Not idempotent: processing it twice is never acceptable.
    pub(super) fn is_post(&self) -> bool {
        self.method == Method::POST
    }
}

/// A 320 KiB body in 16 KiB chunks that can be read once: no client can
/// send it again without buffering it first.
#[derive(Debug)]
pub(super) struct OneShot(usize);

impl OneShot {
    pub(super) fn new() -> Self {
        Self(ONE_SHOT_CHUNKS)
    }
}

impl http_body::Body for OneShot {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.0 == 0 {
            return Poll::Ready(None);
        }
        self.0 -= 1;
        static CHUNK: [u8; ONE_SHOT_CHUNK] = [b'o'; ONE_SHOT_CHUNK];
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(&CHUNK)))))
    }
}
