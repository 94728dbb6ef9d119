//! The replay buffer (DESIGN.md §3 rule 7): a streamed body's source, and
//! what of it has been read, kept while it fits the buffer so a retry can
//! send it again from the start; past the buffer the body is one-shot.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body::Body as HttpBody;
use tokio::sync::Mutex;

use super::{DEFAULT_REPLAY_BUFFER, Inner, Progress};
use crate::error::BoxError;

type DynBody = Pin<Box<dyn HttpBody<Data = Bytes, Error = BoxError> + Send>>;

/// A streamed body's source, shared by every attempt's reader.
pub(super) struct StreamSource {
    body: DynBody,
    /// What has been read so far, while it fits in `limit`.
    buffered: Vec<Bytes>,
    buffered_len: usize,
    read_len: u64,
    limit: usize,
    overflowed: bool,
    ended: bool,
    progress: Arc<Progress>,
}

impl StreamSource {
    /// The source of `body`, reporting reads to `progress`.
    pub(super) fn new<B>(body: B, progress: Arc<Progress>) -> Self
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Self {
            // A body resumed with nothing read yet: only its error type changes.
            body: Box::pin(super::Resumed { first: None, rest: Box::pin(body) }),
            buffered: Vec::new(),
            buffered_len: 0,
            read_len: 0,
            limit: DEFAULT_REPLAY_BUFFER,
            overflowed: false,
            ended: false,
            progress,
        }
    }

    /// The most kept for a replay (the retry policy's replay buffer).
    pub(super) fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// `Ok` when a new attempt can send the body again from the start;
    /// `Err(bytes read)` once it went past its replay buffer.
    pub(super) fn replayable(&self) -> Result<(), u64> {
        if self.overflowed { Err(self.read_len) } else { Ok(()) }
    }
}

/// Reads a body for one attempt: first what earlier attempts buffered, then
/// the rest of the stream.
pub(crate) struct BodyReader {
    source: Source,
}

enum Source {
    Full(Option<Bytes>),
    /// `index`: the next buffered chunk; `position`: bytes delivered;
    /// `len`: the length the body declared, which it must keep to.
    Stream {
        src: Arc<Mutex<StreamSource>>,
        index: usize,
        position: u64,
        len: Option<u64>,
    },
}

impl BodyReader {
    /// A reader of `inner` from its first byte.
    pub(super) fn of(inner: &Inner) -> Self {
        match inner {
            Inner::Full(b) => Self { source: Source::Full(Some(b.clone())) },
            Inner::Stream(src, len) => {
                Self { source: Source::Stream { src: src.clone(), index: 0, position: 0, len: *len } }
            }
        }
    }

    /// The whole body when it is in memory (no need to stream it).
    pub(crate) fn full(&self) -> Option<Bytes> {
        match &self.source {
            Source::Full(b) => Some(b.clone().unwrap_or_default()),
            Source::Stream { .. } => None,
        }
    }

    /// The body's length when known: in memory, or a stream that declared
    /// it (sent as `Content-Length`).
    pub(crate) fn len(&self) -> Option<u64> {
        match &self.source {
            Source::Full(b) => Some(b.as_ref().map_or(0, |b| b.len() as u64)),
            Source::Stream { len, .. } => *len,
        }
    }

    /// The next chunk, `None` at the end. A stream that declared its length
    /// and goes past it, or ends short of it, fails: a `Content-Length` the
    /// body contradicts would be a malformed request (RFC 9110 §8.6, RFC
    /// 9113 §8.1.1).
    pub(crate) async fn next(&mut self) -> Option<Result<Bytes, BoxError>> {
        match &mut self.source {
            Source::Full(b) => b.take().filter(|b| !b.is_empty()).map(Ok),
            Source::Stream { src, index, position, len } => {
                let mut s = src.lock().await;
                s.progress.asking(true);
                let item = Self::next_from(&mut s, index, position).await;
                s.progress.asking(false);
                s.progress.pulled(item.is_none());
                match (len, &item) {
                    (Some(len), Some(Ok(_))) if *position > *len => {
                        Some(Err(format!("the body is longer than its declared {len} bytes").into()))
                    }
                    (Some(len), None) if *position < *len => Some(Err(format!(
                        "the body ended after {position} of its declared {len} bytes"
                    )
                    .into())),
                    _ => item,
                }
            }
        }
    }

    async fn next_from(
        s: &mut StreamSource,
        index: &mut usize,
        position: &mut u64,
    ) -> Option<Result<Bytes, BoxError>> {
        if !s.overflowed && *index < s.buffered.len() {
            let chunk = s.buffered[*index].clone();
            *index += 1;
            *position += chunk.len() as u64;
            return Some(Ok(chunk));
        }
        // Past the buffer: only a reader at the stream's frontier can
        // go on; one that is behind cannot catch up.
        if *position != s.read_len {
            return Some(Err("streaming body is not replayable past its buffer".into()));
        }
        loop {
            if s.ended {
                return None;
            }
            let frame = std::future::poll_fn(|cx| s.body.as_mut().poll_frame(cx)).await;
            match frame {
                None => {
                    s.ended = true;
                    return None;
                }
                Some(Err(e)) => return Some(Err(e)),
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else { continue };
                    if data.is_empty() {
                        continue;
                    }
                    s.read_len += data.len() as u64;
                    *position += data.len() as u64;
                    if !s.overflowed && s.buffered_len + data.len() <= s.limit {
                        s.buffered_len += data.len();
                        s.buffered.push(data.clone());
                        *index += 1;
                    } else {
                        // One-shot from here on: free the buffer.
                        s.overflowed = true;
                        s.buffered = Vec::new();
                        s.buffered_len = 0;
                    }
                    return Some(Ok(data));
                }
            }
        }
    }
}
