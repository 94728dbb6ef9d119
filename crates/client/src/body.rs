//! Request bodies, and what makes them replayable for a retry (DESIGN.md §3
//! rule 7).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as HttpBody;
use tokio::sync::Mutex;

use crate::error::BoxError;

/// The default replay buffer for streaming bodies, 256 KiB (DESIGN.md §3
/// rule 7): how much of a [`Body::wrap`] body is kept so a retry can send it
/// again. [`RetryPolicy::replay_buffer`](crate::RetryPolicy::replay_buffer)
/// changes it per client.
///
/// ```
/// // Uploads up to this size are retried like in-memory bodies.
/// assert_eq!(baton::DEFAULT_REPLAY_BUFFER, 256 * 1024);
/// let policy = baton::RetryPolicy::default().replay_buffer(4 * baton::DEFAULT_REPLAY_BUFFER);
/// # drop(policy);
/// ```
pub const DEFAULT_REPLAY_BUFFER: usize = 256 << 10;

type DynBody = Pin<Box<dyn HttpBody<Data = Bytes, Error = BoxError> + Send>>;

/// A request body.
///
/// - `Body::from(Bytes | Vec<u8> | String | &'static str | &'static [u8])`
///   is in memory, its length known up front, and replayable for free: a
///   retry sends it again whole.
/// - [`Body::wrap`] takes any `http_body::Body`; what has been read from it
///   is kept, up to the replay buffer, so a retry can send it again. Past the
///   buffer the body is one-shot and a retry is refused with a clear error.
///
/// A `Body` is itself an `http_body::Body`.
///
/// ```
/// use bytes::Bytes;
///
/// let json = baton::Body::from(r#"{"item": 7}"#);
/// let upload = baton::Body::from(vec![0u8; 1024]);
/// let raw = baton::Body::from(Bytes::from_static(b"\x00\x01"));
/// assert_eq!(json.size_hint(), Some(11));
/// assert_eq!(upload.size_hint(), Some(1024));
/// assert_eq!(raw.size_hint(), Some(2));
/// ```
pub struct Body {
    inner: Inner,
    /// State for reading the body through `http_body::Body`. In a mutex
    /// only so `Body` stays `Sync` (the future inside is not); `poll_frame`
    /// has `&mut self` and never locks it.
    polling: std::sync::Mutex<Option<Polling>>,
    /// For a stream: how far the connection has read it, for the write
    /// timeout (`Timeouts::write`).
    progress: Option<Arc<Progress>>,
}

/// How far connections have read a streaming body: a count of the reads
/// (each one the connection asking for more), and whether one reached the
/// end. The request's write timeout watches it without taking the body's
/// lock.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pulls: std::sync::atomic::AtomicU64,
    ended: std::sync::atomic::AtomicBool,
    /// A reader is waiting on the body's own source (the application),
    /// not on the connection.
    asking: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// Reads so far.
    pub(crate) fn pulls(&self) -> u64 {
        self.pulls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// True once a reader got to the end of the body.
    pub(crate) fn ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// True while a reader waits on the body's source: the connection is
    /// not the one holding the body up.
    pub(crate) fn waiting_on_source(&self) -> bool {
        self.asking.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn asking(&self, yes: bool) {
        self.asking.store(yes, std::sync::atomic::Ordering::Relaxed);
    }

    fn pulled(&self, end: bool) {
        self.pulls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if end {
            self.ended.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

type NextChunk = Pin<Box<dyn Future<Output = (BodyReader, Option<Result<Bytes, BoxError>>)> + Send>>;

/// Where `http_body::Body::poll_frame` is: between chunks, or awaiting one.
enum Polling {
    Idle(BodyReader),
    Busy(NextChunk),
}

enum Inner {
    Full(Bytes),
    Stream(Arc<Mutex<StreamSource>>),
}

struct StreamSource {
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

impl Body {
    /// An empty body, the default. A GET sends none; a POST, PUT or PATCH
    /// sends `Content-Length: 0` over HTTP/1.1.
    ///
    /// ```
    /// let body = baton::Body::empty();
    /// assert_eq!(body.size_hint(), Some(0));
    /// let request = http::Request::post("https://example.com/ping").body(body).unwrap();
    /// # drop(request);
    /// ```
    pub fn empty() -> Self {
        Self { inner: Inner::Full(Bytes::new()), polling: std::sync::Mutex::new(None), progress: None }
    }

    /// Wraps a streaming `http_body::Body`. Its frames are read as the
    /// connection's flow control allows; data frames are sent, trailers are
    /// ignored. Its length is unknown to baton ([`size_hint`](Self::size_hint)
    /// is `None`), so HTTP/1.1 sends it chunked unless the request has a
    /// `Content-Length` header.
    ///
    /// The first [`replay buffer`](crate::RetryPolicy::replay_buffer) bytes
    /// are kept for a retry; past them, a retry is refused. An error from
    /// the stream fails the request with [`Error::is_body`](crate::Error::is_body).
    ///
    /// ```
    /// use std::pin::Pin;
    /// use std::task::{Context, Poll};
    /// use bytes::Bytes;
    /// use http_body::Frame;
    ///
    /// /// Chunks handed over by a producer task, e.g. rows of a database export.
    /// struct Rows(tokio::sync::mpsc::Receiver<Bytes>);
    ///
    /// impl http_body::Body for Rows {
    ///     type Data = Bytes;
    ///     type Error = std::convert::Infallible;
    ///
    ///     fn poll_frame(
    ///         mut self: Pin<&mut Self>,
    ///         cx: &mut Context<'_>,
    ///     ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
    ///         self.0.poll_recv(cx).map(|row| row.map(|bytes| Ok(Frame::data(bytes))))
    ///     }
    /// }
    ///
    /// let (tx, rx) = tokio::sync::mpsc::channel(16);
    /// let body = baton::Body::wrap(Rows(rx));
    /// assert_eq!(body.size_hint(), None);
    /// let request = baton::Client::new().post("https://example.com/import").body(body).build()?;
    /// # drop((tx, request));
    /// # Ok::<(), baton::Error>(())
    /// ```
    pub fn wrap<B>(body: B) -> Self
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        // A body that is already over (an empty http_body) is sent as an
        // empty full body: no chunked framing, replayable for free.
        if body.is_end_stream() {
            return Self::empty();
        }
        let body = MapErr(Box::pin(body));
        let progress = Arc::new(Progress::default());
        Self {
            polling: std::sync::Mutex::new(None),
            progress: Some(progress.clone()),
            inner: Inner::Stream(Arc::new(Mutex::new(StreamSource {
                body: Box::pin(body),
                buffered: Vec::new(),
                buffered_len: 0,
                read_len: 0,
                limit: DEFAULT_REPLAY_BUFFER,
                overflowed: false,
                ended: false,
                progress,
            }))),
        }
    }

    /// The exact length, when known without reading: `Some` for in-memory
    /// bodies, `None` for [`Body::wrap`]. (The `http_body::Body` trait's
    /// `size_hint` says the same as an `http_body::SizeHint`.)
    ///
    /// ```
    /// assert_eq!(baton::Body::from(vec![0u8; 10]).size_hint(), Some(10));
    /// assert_eq!(baton::Body::from("").size_hint(), Some(0));
    /// ```
    pub fn size_hint(&self) -> Option<u64> {
        match &self.inner {
            Inner::Full(b) => Some(b.len() as u64),
            Inner::Stream(_) => None,
        }
    }

    pub(crate) fn set_replay_limit(&self, limit: usize) {
        if let Inner::Stream(src) = &self.inner {
            if let Ok(mut s) = src.try_lock() {
                s.limit = limit;
            }
        }
    }

    /// `Ok` when a new attempt can send the body again from the start;
    /// `Err(bytes read)` when a streaming body went past its replay buffer.
    pub(crate) async fn replayable(&self) -> Result<(), u64> {
        match &self.inner {
            Inner::Full(_) => Ok(()),
            Inner::Stream(src) => {
                let s = src.lock().await;
                if s.overflowed { Err(s.read_len) } else { Ok(()) }
            }
        }
    }

    /// How far connections have read a streaming body; `None` for an
    /// in-memory one.
    pub(crate) fn progress(&self) -> Option<&Arc<Progress>> {
        self.progress.as_ref()
    }

    /// A reader for one attempt, starting from the first byte.
    pub(crate) fn reader(&self) -> BodyReader {
        reader_of(&self.inner)
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Inner::Stream(_) => f.write_str("Body::Stream"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Self { inner: Inner::Full(b), polling: std::sync::Mutex::new(None), progress: None }
    }
}

impl From<Vec<u8>> for Body {
    fn from(v: Vec<u8>) -> Self {
        Bytes::from(v).into()
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Bytes::from_static(s).into()
    }
}

fn reader_of(inner: &Inner) -> BodyReader {
    match inner {
        Inner::Full(b) => BodyReader { source: Source::Full(Some(b.clone())) },
        Inner::Stream(src) => {
            BodyReader { source: Source::Stream { src: src.clone(), index: 0, position: 0 } }
        }
    }
}

/// A `Body` is itself an `http_body::Body`, so it can be handed to other
/// HTTP stacks or middleware; reading it this way goes through the same
/// replay buffer. It yields data frames only.
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// use http_body::Body as HttpBody;
///
/// let mut body = baton::Body::from("hello");
/// assert_eq!(HttpBody::size_hint(&body).exact(), Some(5));
/// // An in-memory body is ready at once; a real caller polls from its task.
/// let mut cx = Context::from_waker(Waker::noop());
/// let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) else { unreachable!() };
/// assert_eq!(frame.into_data().unwrap(), "hello");
/// ```
impl HttpBody for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        let slot = this.polling.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(Polling::Idle(reader_of(&this.inner)));
        }
        loop {
            match slot.take() {
                Some(Polling::Busy(mut next)) => match next.as_mut().poll(cx) {
                    Poll::Pending => {
                        *slot = Some(Polling::Busy(next));
                        return Poll::Pending;
                    }
                    Poll::Ready((reader, item)) => {
                        *slot = Some(Polling::Idle(reader));
                        return Poll::Ready(item.map(|r| r.map(http_body::Frame::data)));
                    }
                },
                Some(Polling::Idle(mut reader)) => {
                    *slot = Some(Polling::Busy(Box::pin(async move {
                        let item = reader.next().await;
                        (reader, item)
                    })));
                }
                None => return Poll::Ready(None),
            }
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self.size_hint() {
            Some(n) => http_body::SizeHint::with_exact(n),
            None => http_body::SizeHint::default(),
        }
    }
}

/// Reads a body for one attempt: first what earlier attempts buffered, then
/// the rest of the stream.
pub(crate) struct BodyReader {
    source: Source,
}

enum Source {
    Full(Option<Bytes>),
    /// `index`: the next buffered chunk; `position`: bytes delivered.
    Stream {
        src: Arc<Mutex<StreamSource>>,
        index: usize,
        position: u64,
    },
}

impl BodyReader {
    /// The whole body when it is in memory (no need to stream it).
    pub(crate) fn full(&self) -> Option<Bytes> {
        match &self.source {
            Source::Full(b) => Some(b.clone().unwrap_or_default()),
            Source::Stream { .. } => None,
        }
    }

    /// The next chunk, `None` at the end.
    pub(crate) async fn next(&mut self) -> Option<Result<Bytes, BoxError>> {
        match &mut self.source {
            Source::Full(b) => b.take().filter(|b| !b.is_empty()).map(Ok),
            Source::Stream { src, index, position } => {
                let mut s = src.lock().await;
                s.progress.asking(true);
                let item = Self::next_from(&mut s, index, position).await;
                s.progress.asking(false);
                s.progress.pulled(item.is_none());
                item
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

/// Adapts a body's error type to `BoxError`. The inner body is boxed, so
/// `MapErr` is `Unpin` and needs no pin projection.
struct MapErr<B>(Pin<Box<B>>);

impl<B> HttpBody for MapErr<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        self.get_mut().0.as_mut().poll_frame(cx).map(|f| f.map(|r| r.map_err(Into::into)))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::*;

    struct Chunks(Vec<Bytes>);

    impl HttpBody for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
            Poll::Ready((!self.0.is_empty()).then(|| Ok(http_body::Frame::data(self.0.remove(0)))))
        }
    }

    fn body(chunks: usize) -> Body {
        Body::wrap(Chunks((0..chunks).map(|i| Bytes::from(vec![i as u8; 10])).collect()))
    }

    async fn drain(reader: &mut BodyReader) -> Result<usize, String> {
        let mut n = 0;
        while let Some(chunk) = reader.next().await {
            n += chunk.map_err(|e| e.to_string())?.len();
        }
        Ok(n)
    }

    #[tokio::test]
    async fn a_stream_within_the_buffer_replays_whole() {
        let b = body(5);
        b.set_replay_limit(100);
        assert_eq!(drain(&mut b.reader()).await, Ok(50));
        assert_eq!(b.replayable().await, Ok(()));
        assert_eq!(drain(&mut b.reader()).await, Ok(50));
    }

    #[tokio::test]
    async fn a_replay_that_is_cut_short_continues_from_the_stream() {
        let b = body(5);
        b.set_replay_limit(100);
        let mut first = b.reader();
        assert_eq!(first.next().await.unwrap().unwrap().len(), 10);
        // The second attempt replays the one buffered chunk, then reads on.
        assert_eq!(drain(&mut b.reader()).await, Ok(50));
    }

    #[tokio::test]
    async fn past_the_buffer_the_body_is_one_shot() {
        let b = body(5);
        b.set_replay_limit(25);
        assert_eq!(drain(&mut b.reader()).await, Ok(50), "the first reader is never cut off");
        assert_eq!(b.replayable().await, Err(50));
        assert!(drain(&mut b.reader()).await.is_err());
    }

    #[tokio::test]
    async fn a_body_is_an_http_body() {
        use http_body_util_free::collect;
        let b = body(3);
        assert_eq!(collect(b).await, 30);
        assert_eq!(collect(Body::from("hello")).await, 5);
        assert_eq!(HttpBody::size_hint(&Body::from("hello")).exact(), Some(5));
    }

    /// Collects an `http_body::Body` without http-body-util.
    mod http_body_util_free {
        use super::*;

        pub(super) async fn collect(mut body: Body) -> usize {
            let mut n = 0;
            while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
                n += frame.unwrap().into_data().map_or(0, |d| d.len());
            }
            n
        }
    }

    #[tokio::test]
    async fn full_bodies_are_always_replayable() {
        let b = Body::from("abc");
        assert_eq!(b.size_hint(), Some(3));
        assert_eq!(drain(&mut b.reader()).await, Ok(3));
        assert_eq!(drain(&mut b.reader()).await, Ok(3));
        assert_eq!(b.replayable().await, Ok(()));
    }
}
