//! A compressed response body decoded as it is read: async-compression's
//! decoders read the body off the wire through [`Input`] (a
//! `tokio::io::AsyncBufRead` over the body's frames), and [`Decoded`] hands
//! out what they produce as data frames, then the trailers.
//!
//! Errors keep their meaning: a body cut off, or a read timeout, comes out
//! as the error the wire gave (verdict `ResponseStarted`, with the journal),
//! not as the decoder's view of it; a body that does not decode is a
//! decode error with the same verdict.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use http::HeaderMap;
use http_body::Frame;
use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

use super::Coding;
use crate::error::{Error, Kind};
use crate::incoming::Wire;
use crate::journal::Journal;

/// How much decoded data one frame carries at most.
const FRAME: usize = 32 << 10;

/// The compressed bytes as the decoders read them.
pub(crate) struct Input {
    wire: Wire,
    /// What is left of the last data frame.
    chunk: Bytes,
    /// Any compressed byte came: an empty body is an empty body, not a
    /// truncated stream (a server may label a bodiless response).
    seen: bool,
    trailers: Option<HeaderMap>,
    /// The wire's own error, kept whole: the decoder gets only an
    /// `io::Error` standing for it.
    error: Option<Error>,
}

impl AsyncRead for Input {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let data = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = data.len().min(buf.remaining());
        buf.put_slice(&data[..n]);
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Input {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.chunk.is_empty() {
            match ready!(this.wire.poll_frame(cx)) {
                None => break,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        this.seen |= !data.is_empty();
                        this.chunk = data;
                    }
                    Err(frame) => this.trailers = frame.into_trailers().ok(),
                },
                Some(Err(e)) => {
                    let stand_in = io::Error::other(e.to_string());
                    this.error = Some(e);
                    return Poll::Ready(Err(stand_in));
                }
            }
        }
        Poll::Ready(Ok(&this.chunk))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().chunk.advance(amt);
    }
}

/// One of async-compression's decoders over [`Input`]. `deflate` is the
/// zlib format (RFC 9110 §8.4.1.2), as reqwest and tower-http read it.
enum Codec {
    #[cfg(feature = "gzip")]
    Gzip(async_compression::tokio::bufread::GzipDecoder<Input>),
    #[cfg(feature = "deflate")]
    Deflate(async_compression::tokio::bufread::ZlibDecoder<Input>),
    #[cfg(feature = "brotli")]
    Brotli(async_compression::tokio::bufread::BrotliDecoder<Input>),
    #[cfg(feature = "zstd")]
    Zstd(async_compression::tokio::bufread::ZstdDecoder<Input>),
}

impl Codec {
    fn new(coding: Coding, input: Input) -> Self {
        match coding {
            #[cfg(feature = "gzip")]
            Coding::Gzip => {
                let mut decoder = async_compression::tokio::bufread::GzipDecoder::new(input);
                // RFC 1952 §2.2: a gzip file is a series of members; servers
                // that compress in pieces send several.
                decoder.multiple_members(true);
                Self::Gzip(decoder)
            }
            #[cfg(feature = "deflate")]
            Coding::Deflate => Self::Deflate(async_compression::tokio::bufread::ZlibDecoder::new(input)),
            #[cfg(feature = "brotli")]
            Coding::Brotli => Self::Brotli(async_compression::tokio::bufread::BrotliDecoder::new(input)),
            #[cfg(feature = "zstd")]
            Coding::Zstd => Self::Zstd(async_compression::tokio::bufread::ZstdDecoder::new(input)),
            // `Accepts` turns on only what is compiled in.
            #[allow(unreachable_patterns)]
            _ => unreachable!("coding {coding:?} is not compiled in"),
        }
    }

    fn input(&self) -> &Input {
        match self {
            #[cfg(feature = "gzip")]
            Self::Gzip(d) => d.get_ref(),
            #[cfg(feature = "deflate")]
            Self::Deflate(d) => d.get_ref(),
            #[cfg(feature = "brotli")]
            Self::Brotli(d) => d.get_ref(),
            #[cfg(feature = "zstd")]
            Self::Zstd(d) => d.get_ref(),
        }
    }

    fn input_mut(&mut self) -> &mut Input {
        match self {
            #[cfg(feature = "gzip")]
            Self::Gzip(d) => d.get_mut(),
            #[cfg(feature = "deflate")]
            Self::Deflate(d) => d.get_mut(),
            #[cfg(feature = "brotli")]
            Self::Brotli(d) => d.get_mut(),
            #[cfg(feature = "zstd")]
            Self::Zstd(d) => d.get_mut(),
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self {
            #[cfg(feature = "gzip")]
            Self::Gzip(d) => Pin::new(d).poll_read(cx, buf),
            #[cfg(feature = "deflate")]
            Self::Deflate(d) => Pin::new(d).poll_read(cx, buf),
            #[cfg(feature = "brotli")]
            Self::Brotli(d) => Pin::new(d).poll_read(cx, buf),
            #[cfg(feature = "zstd")]
            Self::Zstd(d) => Pin::new(d).poll_read(cx, buf),
        }
    }
}

/// A body being decoded.
pub(crate) struct Decoded {
    codec: Codec,
    coding: Coding,
    /// Where the decoder writes; each frame is a copy of what it wrote, so
    /// a short frame does not hold a whole buffer.
    scratch: Vec<u8>,
    /// The compressed stream ended: what is left of the body (its end, the
    /// trailers) is read off the wire.
    decoded: bool,
    done: bool,
}

impl Decoded {
    /// `wire`'s body decoded from `coding`.
    pub(crate) fn new(coding: Coding, wire: Wire) -> Self {
        let input = Input { wire, chunk: Bytes::new(), seen: false, trailers: None, error: None };
        Self { codec: Codec::new(coding, input), coding, scratch: Vec::new(), decoded: false, done: false }
    }

    pub(crate) fn journal(&self) -> &Journal {
        self.codec.input().wire.journal()
    }

    pub(crate) fn new_wait(&mut self) {
        self.codec.input_mut().wire.new_wait();
    }

    /// The body as it comes off the wire, whose deadlines bound this one.
    pub(crate) fn wire_mut(&mut self) -> &mut Wire {
        &mut self.codec.input_mut().wire
    }

    pub(crate) fn is_end_stream(&self) -> bool {
        self.done
    }

    /// The next decoded frame: data, then the trailers if the body had any.
    pub(crate) fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.decoded {
            return self.poll_rest(cx);
        }
        if self.scratch.len() != FRAME {
            self.scratch.resize(FRAME, 0);
        }
        let mut buf = ReadBuf::new(&mut self.scratch);
        let result = ready!(self.codec.poll_read(cx, &mut buf));
        let n = buf.filled().len();
        match result {
            Ok(()) if n > 0 => Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(&self.scratch[..n]))))),
            Ok(()) => {
                self.decoded = true;
                self.scratch = Vec::new();
                self.poll_rest(cx)
            }
            Err(e) => {
                self.done = true;
                let input = self.codec.input_mut();
                if let Some(wire_error) = input.error.take() {
                    return Poll::Ready(Some(Err(wire_error)));
                }
                if !input.seen && e.kind() == io::ErrorKind::UnexpectedEof {
                    // Labelled compressed, but empty: nothing to decode.
                    return Poll::Ready(input.trailers.take().map(|t| Ok(Frame::trailers(t))));
                }
                let message = format!("the {} response body does not decode: {e}", self.coding.name());
                let error = input.wire.failed(Error::new(Kind::Decode, message).with_source(e));
                Poll::Ready(Some(Err(error)))
            }
        }
    }

    /// After the compressed stream's end: the body read to its end (a
    /// decoder that is done reads no further, and a body not read to its
    /// end would be abandoned: an HTTP/2 stream reset, an HTTP/1.1
    /// connection closed), then its trailers. Bytes after the compressed
    /// stream are not part of it and are dropped, as reqwest's decoders do.
    fn poll_rest(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let input = self.codec.input_mut();
        input.chunk.clear();
        loop {
            match ready!(input.wire.poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        input.trailers = Some(trailers);
                    }
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    self.done = true;
                    return Poll::Ready(input.trailers.take().map(|t| Ok(Frame::trailers(t))));
                }
            }
        }
    }
}

#[cfg(all(test, feature = "gzip"))]
mod tests {
    use std::time::Duration;

    use http_body::Body as _;
    use tokio::time::Instant;

    use super::*;
    use crate::conn::{BodyEvent, BodySender, Release, body_channel};
    use crate::incoming::Incoming;
    use crate::timeouts::TimeoutKind;

    struct NoCredit;

    impl Release for NoCredit {
        fn release(&self, _: usize) {}
        fn cancel(&self) {}
    }

    /// A gzip body of `text`'s first half on the wire, decoded, with a read
    /// timeout of `idle` and a total deadline `total` from now.
    fn half_sent(idle: Duration, total: Duration) -> (BodySender, Incoming, usize) {
        let text = baton_lab::routes::text(100_000);
        let gz = baton_lab::coding::Coding::Gzip.encode(&text);
        let (tx, rx) = body_channel(NoCredit);
        assert!(tx.send(BodyEvent::Data(gz.slice(..gz.len() / 2))));
        let mut wire = Incoming::wire(rx, Journal::default(), Some(idle));
        let mut body = Incoming::decoded(Decoded::new(Coding::Gzip, wire.take_wire().unwrap()));
        body.set_deadline(Instant::now() + total, total);
        (tx, body, text.len())
    }

    async fn read_until_error(body: &mut Incoming) -> (usize, Error) {
        let mut decoded = 0;
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await {
                Some(Ok(frame)) => decoded += frame.into_data().map_or(0, |d| d.len()),
                Some(Err(e)) => return (decoded, e),
                None => panic!("the body ended, {decoded} bytes decoded"),
            }
        }
    }

    /// The request's total deadline and the read timeout bound a body that
    /// is being decoded as they bound one that is not: here the sender
    /// stalls half-way.
    #[tokio::test(start_paused = true)]
    async fn deadlines_bound_a_decoded_body() {
        let (_tx, mut body, len) = half_sent(Duration::from_secs(5), Duration::from_secs(2));
        let started = Instant::now();
        let (decoded, e) = read_until_error(&mut body).await;
        assert!(decoded > 0 && decoded < len, "{decoded}");
        assert_eq!(e.timeout_kind(), Some(TimeoutKind::Total), "{e}");
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert!(body.is_end_stream());

        let (_tx, mut body, _) = half_sent(Duration::from_secs(1), Duration::from_secs(60));
        let (_, e) = read_until_error(&mut body).await;
        assert_eq!(e.timeout_kind(), Some(TimeoutKind::Read), "{e}");
        assert_eq!(e.processing(), Some(crate::journal::Processing::ResponseStarted));
    }

    /// A body labelled gzip but empty on the wire is empty, not an error.
    #[tokio::test]
    async fn an_empty_labelled_body_is_empty() {
        let (tx, rx) = body_channel(NoCredit);
        assert!(tx.send(BodyEvent::End));
        let mut wire = Incoming::wire(rx, Journal::default(), None);
        let mut body = Incoming::decoded(Decoded::new(Coding::Gzip, wire.take_wire().unwrap()));
        assert!(std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await.is_none());
    }
}
