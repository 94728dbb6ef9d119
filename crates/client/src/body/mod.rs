//! Request bodies: the public [`Body`], in memory or streamed, and itself an
//! `http_body::Body`. What makes a streamed one replayable for a retry
//! (DESIGN.md §3 rule 7) is in `replay.rs`; how far connections read it, for
//! the write timeout, in `progress.rs`.

mod progress;
mod replay;

pub(crate) use progress::Progress;
pub(crate) use replay::BodyReader;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as HttpBody;
use tokio::sync::Mutex;

use crate::error::BoxError;
use replay::StreamSource;

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

type NextChunk = Pin<Box<dyn Future<Output = (BodyReader, Option<Result<Bytes, BoxError>>)> + Send>>;

/// Where `http_body::Body::poll_frame` is: between chunks, or awaiting one.
enum Polling {
    Idle(BodyReader),
    Busy(NextChunk),
}

enum Inner {
    Full(Bytes),
    /// A stream, and its length when its size hint gave it exactly.
    Stream(Arc<Mutex<StreamSource>>, Option<u64>),
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
    /// ignored. When its size hint is exact, that is its length
    /// ([`size_hint`](Self::size_hint)): it is sent with `Content-Length`
    /// (HTTP/1.1 and HTTP/2 alike), and a stream that then gives more or
    /// fewer bytes fails the request as the body's fault. Otherwise its
    /// length is unknown, and HTTP/1.1 sends it chunked unless the request
    /// has a `Content-Length` header.
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
        let len = body.size_hint().exact();
        let progress = Arc::new(Progress::default());
        Self {
            polling: std::sync::Mutex::new(None),
            progress: Some(progress.clone()),
            inner: Inner::Stream(Arc::new(Mutex::new(StreamSource::new(body, progress))), len),
        }
    }

    /// Any `http_body::Body` as a request body, its length kept: what the
    /// `tower::Service` of [`Client`](crate::Client) sends.
    ///
    /// - A `Body` is taken as it is.
    /// - A body of known length (an exact size hint) whose bytes are all
    ///   there at its first poll (`http_body_util::Full`, `String`,
    ///   `Bytes`...) becomes an in-memory body: sent with `Content-Length`
    ///   and replayable for a retry or a redirect whatever its size, with no
    ///   replay buffer involved.
    /// - Any other body is [wrapped](Self::wrap): sent with `Content-Length`
    ///   when its length is known, chunked over HTTP/1.1 otherwise, and
    ///   replayable while it fits the replay buffer.
    ///
    /// The first poll uses a no-op waker: a body that is not ready then is
    /// polled again, with the connection's, once it can be sent.
    ///
    /// ```
    /// let json = String::from(r#"{"item": 7}"#);
    /// let body = baton::Body::from_http(json);
    /// assert_eq!(body.size_hint(), Some(11));
    /// assert!(body.try_clone().is_some(), "in memory: replayable whatever its size");
    /// ```
    pub fn from_http<B>(body: B) -> Self
    where
        B: HttpBody<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let mut slot = Some(body);
        if let Some(body) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<Self>>() {
            return body.take().unwrap_or_default();
        }
        let Some(body) = slot else { return Self::empty() };
        let Some(len) = body.size_hint().exact() else { return Self::wrap(body) };
        if len == 0 || body.is_end_stream() {
            return Self::empty();
        }
        let mut body = Box::pin(body);
        let first = body.as_mut().poll_frame(&mut Context::from_waker(std::task::Waker::noop()));
        match first {
            Poll::Pending => Self::wrap(body),
            Poll::Ready(None) => Self::empty(),
            Poll::Ready(Some(Err(e))) => Self::wrap(Resumed { first: Some(Err(e.into())), rest: body }),
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(data) if data.len() as u64 == len => Self::from(data),
                Ok(data) => Self::wrap(Resumed { first: Some(Ok(data)), rest: body }),
                // Trailers first: baton sends no request trailers.
                Err(_) => Self::wrap(body),
            },
        }
    }

    /// A second handle on an in-memory body (sharing its bytes, no copy);
    /// `None` for a stream, which can be read once (what a retry replays of
    /// it is the replay buffer's business). For middleware that resends a
    /// request, such as tower-http's `FollowRedirect` (its policy's
    /// `clone_body`).
    ///
    /// ```
    /// let body = baton::Body::from("payload");
    /// let copy = body.try_clone().expect("in memory");
    /// assert_eq!(copy.size_hint(), Some(7));
    /// let (tx, rx) = tokio::sync::mpsc::channel::<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>(1);
    /// # drop(tx);
    /// # struct Rx(tokio::sync::mpsc::Receiver<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>);
    /// # impl http_body::Body for Rx {
    /// #     type Data = bytes::Bytes;
    /// #     type Error = std::io::Error;
    /// #     fn poll_frame(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>)
    /// #         -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, std::io::Error>>> { self.0.poll_recv(cx) }
    /// # }
    /// let stream = baton::Body::wrap(Rx(rx));
    /// assert!(stream.try_clone().is_none());
    /// ```
    pub fn try_clone(&self) -> Option<Self> {
        match &self.inner {
            Inner::Full(b) => Some(Self::from(b.clone())),
            Inner::Stream(..) => None,
        }
    }

    /// The exact length, when known without reading: `Some` for in-memory
    /// bodies and for [`Body::wrap`] of a body with an exact size hint,
    /// `None` for other streams. (The `http_body::Body` trait's `size_hint`
    /// says the same as an `http_body::SizeHint`.)
    ///
    /// ```
    /// assert_eq!(baton::Body::from(vec![0u8; 10]).size_hint(), Some(10));
    /// assert_eq!(baton::Body::from("").size_hint(), Some(0));
    /// ```
    pub fn size_hint(&self) -> Option<u64> {
        match &self.inner {
            Inner::Full(b) => Some(b.len() as u64),
            Inner::Stream(_, len) => *len,
        }
    }

    pub(crate) fn set_replay_limit(&self, limit: usize) {
        if let Inner::Stream(src, _) = &self.inner {
            if let Ok(mut s) = src.try_lock() {
                s.set_limit(limit);
            }
        }
    }

    /// `Ok` when a new attempt can send the body again from the start;
    /// `Err(bytes read)` when a streaming body went past its replay buffer.
    pub(crate) async fn replayable(&self) -> Result<(), u64> {
        match &self.inner {
            Inner::Full(_) => Ok(()),
            Inner::Stream(src, _) => src.lock().await.replayable(),
        }
    }

    /// How far connections have read a streaming body; `None` for an
    /// in-memory one.
    pub(crate) fn progress(&self) -> Option<&Arc<Progress>> {
        self.progress.as_ref()
    }

    /// A reader for one attempt, starting from the first byte.
    pub(crate) fn reader(&self) -> BodyReader {
        BodyReader::of(&self.inner)
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
            Inner::Stream(_, Some(n)) => write!(f, "Body::Stream({n} bytes)"),
            Inner::Stream(_, None) => f.write_str("Body::Stream"),
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
            *slot = Some(Polling::Idle(BodyReader::of(&this.inner)));
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

/// A body whose first frame was taken (by [`Body::from_http`]'s first
/// poll), put back in front of the rest.
struct Resumed<B> {
    first: Option<Result<Bytes, BoxError>>,
    rest: Pin<Box<B>>,
}

impl<B> HttpBody for Resumed<B>
where
    B: HttpBody<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(first.map(http_body::Frame::data)));
        }
        self.rest.as_mut().poll_frame(cx).map(|f| f.map(|r| r.map_err(Into::into)))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let first = match &self.first {
            Some(Ok(data)) => data.len() as u64,
            _ => 0,
        };
        let rest = self.rest.size_hint();
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(rest.lower().saturating_add(first));
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper.saturating_add(first));
        }
        hint
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
