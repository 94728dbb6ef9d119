//! A response body as an `http_body::Body`: [`Incoming`], read frame by
//! frame from the connection's body channel, each data frame handing its
//! flow-control credit back (RFC 9113 §5.2), bounded by the read timeout
//! and the request's total deadline, and decoded when the response came
//! compressed (`decompress/`).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::conn::{BodyEvent, BodyReceiver};
use crate::error::{Error, Kind as ErrorKind};
use crate::journal::{Attempt, Journal, Processing};
use crate::timeouts::TimeoutKind;

/// A response body: an `http_body::Body` of `Bytes` data frames, then at
/// most one trailers frame (RFC 9110 §6.5), whose errors are [`Error`]s
/// carrying the verdict [`Processing::ResponseStarted`] and the journal.
///
/// [`Response::chunk`](crate::Response::chunk) reads it for you; the
/// `tower::Service` of [`Client`](crate::Client) returns it inside an
/// `http::Response`, so middleware built on `http_body` (tower-http's
/// decompression, tracing, timeouts) takes it as it is.
///
/// - Reading a data frame hands its bytes back to the connection's flow
///   control: nothing is buffered ahead of the reader beyond the window.
/// - Each wait for a frame is bounded by the
///   [read timeout](crate::ClientBuilder::read_timeout), and the whole body
///   by the request's total [timeout](crate::ClientBuilder::timeout): either
///   ends it with [`Error::is_timeout`].
/// - After an error the body is over: the next poll gives `None`.
/// - [`attempts`](Self::attempts) is the request's journal; an `http::Response`
///   made from a [`Response`](crate::Response) also has it as a
///   [`Journal`] extension.
///
/// # Drop
/// Dropping it before the end abandons the body: the HTTP/2 stream is reset
/// (CANCEL), an HTTP/1.1 connection is closed rather than pooled.
///
/// ```no_run
/// use http_body_util::BodyExt;
///
/// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
/// let resp: http::Response<baton::Incoming> = client.get("https://example.com/grpc").send().await?.into();
/// let collected = resp.into_body().collect().await?;
/// let trailers = collected.trailers().cloned();
/// let body = collected.to_bytes();
/// println!("{} bytes, trailers {trailers:?}", body.len());
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct Incoming {
    kind: Inner,
}

#[derive(Default)]
enum Inner {
    /// No body, or one already read.
    #[default]
    Empty,
    /// As the connection delivers it.
    Wire(Wire),
    /// Compressed on the wire, decoded here (`decompress/`).
    #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
    Decoded(Box<crate::decompress::Decoded>),
}

/// The body as the connection delivers it, with its deadlines.
pub(crate) struct Wire {
    rx: BodyReceiver,
    journal: Journal,
    done: bool,
    /// The read timeout: the most each wait for a frame may take.
    idle: Option<Duration>,
    /// The request's total deadline, and the limit it came from.
    deadline: Option<(Instant, Duration)>,
    /// Made on the first wait that has a limit.
    timer: Option<Timer>,
}

/// The running wait's limit.
struct Timer {
    sleep: Pin<Box<Sleep>>,
    /// A wait is under way and `sleep` is set for it.
    armed: bool,
    /// `sleep` is the total deadline (not the read timeout).
    total: bool,
}

impl Incoming {
    /// A body read from `rx`, for a request whose attempts are `journal`;
    /// each wait is bounded by `idle`.
    pub(crate) fn wire(rx: BodyReceiver, journal: Journal, idle: Option<Duration>) -> Self {
        Self { kind: Inner::Wire(Wire { rx, journal, done: false, idle, deadline: None, timer: None }) }
    }

    /// Bounds the body by the request's total deadline `at`, from `limit`
    /// (decoded or not: the deadline is the wire's).
    pub(crate) fn set_deadline(&mut self, at: Instant, limit: Duration) {
        match &mut self.kind {
            Inner::Empty => {}
            Inner::Wire(wire) => wire.deadline = Some((at, limit)),
            #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
            Inner::Decoded(d) => d.wire_mut().deadline = Some((at, limit)),
        }
    }

    /// The body as it came off the wire, when it is still that: for the
    /// decoder to wrap.
    #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
    pub(crate) fn take_wire(&mut self) -> Option<Wire> {
        match std::mem::take(&mut self.kind) {
            Inner::Wire(wire) => Some(wire),
            other => {
                self.kind = other;
                None
            }
        }
    }

    #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
    pub(crate) fn decoded(decoded: crate::decompress::Decoded) -> Self {
        Self { kind: Inner::Decoded(Box::new(decoded)) }
    }

    /// Every attempt the request took, the one that got this response last
    /// (see [`Response::attempts`](crate::Response::attempts)). Empty for a
    /// body made with `Incoming::default()`.
    ///
    /// ```no_run
    /// # async fn run(client: baton::Client) -> Result<(), baton::Error> {
    /// let resp: http::Response<baton::Incoming> = client.get("https://example.com/").send().await?.into();
    /// println!("answered after {} attempt(s)", resp.body().attempts().len());
    /// # Ok(()) }
    /// ```
    pub fn attempts(&self) -> &[Attempt] {
        self.journal().map_or(&[], |j| j.attempts())
    }

    pub(crate) fn journal(&self) -> Option<&Journal> {
        match &self.kind {
            Inner::Empty => None,
            Inner::Wire(wire) => Some(&wire.journal),
            #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
            Inner::Decoded(d) => Some(d.journal()),
        }
    }

    /// A new wait begins: the read timeout counts from the next poll that
    /// finds nothing, not from a poll made earlier and given up.
    pub(crate) fn new_wait(&mut self) {
        match &mut self.kind {
            Inner::Empty => {}
            Inner::Wire(wire) => wire.new_wait(),
            #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
            Inner::Decoded(d) => d.new_wait(),
        }
    }
}

impl Wire {
    #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    pub(crate) fn new_wait(&mut self) {
        if let Some(timer) = &mut self.timer {
            timer.armed = false;
        }
    }

    /// The next frame; see [`Incoming`].
    pub(crate) fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        let event = match self.rx.poll_event(cx) {
            Poll::Ready(event) => event,
            Poll::Pending => {
                return match self.poll_timer(cx) {
                    Some(e) => Poll::Ready(Some(Err(e))),
                    None => Poll::Pending,
                };
            }
        };
        // The wait is over; the next one starts afresh.
        self.new_wait();
        Poll::Ready(match event {
            Some(BodyEvent::Data(data)) => {
                self.rx.consumed(data.len());
                Some(Ok(Frame::data(data)))
            }
            Some(BodyEvent::Trailers(trailers)) => Some(Ok(Frame::trailers(*trailers))),
            Some(BodyEvent::End) => {
                self.done = true;
                None
            }
            Some(BodyEvent::Failed(f)) => {
                self.done = true;
                let message =
                    format!("response body cut off: {}", f.attempt.error.as_deref().unwrap_or("failed"));
                let mut attempts = self.journal.attempts().to_vec();
                attempts.pop();
                attempts.push(f.attempt.clone());
                let error = Error::new(ErrorKind::Decode, message);
                Some(Err(f.error_with(error, Processing::ResponseStarted, attempts)))
            }
            None => {
                self.done = true;
                Some(Err(self.failed(Error::new(ErrorKind::Decode, "connection driver ended mid-body"))))
            }
        })
    }

    /// `error`, a failure of this body: the verdict `ResponseStarted` and the
    /// journal.
    pub(crate) fn failed(&self, error: Error) -> Error {
        error.with_processing(Processing::ResponseStarted).with_attempts(self.journal.attempts().to_vec())
    }

    /// While no frame is there: arms the wait's limit if it has one, and
    /// gives the timeout error once it passes (the body is then abandoned).
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Option<Error> {
        if self.idle.is_none() && self.deadline.is_none() {
            return None;
        }
        let timer = self.timer.get_or_insert_with(|| Timer {
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: false,
            total: false,
        });
        if !timer.armed {
            // The read timeout restarts with every wait; the total deadline
            // does not (a body trickled in just under the read timeout
            // still ends when the request's time is up).
            let idle_end = self.idle.and_then(|idle| Instant::now().checked_add(idle));
            let (at, total) = match (idle_end, self.deadline) {
                (Some(idle_end), Some((end, _))) if end <= idle_end => (end, true),
                (Some(idle_end), _) => (idle_end, false),
                (None, Some((end, _))) => (end, true),
                // A read timeout too long for the clock, and no deadline.
                (None, None) => return None,
            };
            timer.sleep.as_mut().reset(at);
            timer.armed = true;
            timer.total = total;
        }
        if timer.sleep.as_mut().poll(cx).is_pending() {
            return None;
        }
        let (which, message) = match self.deadline {
            Some((_, limit)) if timer.total => {
                (TimeoutKind::Total, format!("request timed out after {limit:?} while reading the body"))
            }
            _ => {
                (TimeoutKind::Read, format!("no response body data for {:?}", self.idle.unwrap_or_default()))
            }
        };
        self.done = true;
        self.rx.abandon();
        Some(self.failed(Error::timeout(which, message)))
    }

    pub(crate) fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl http_body::Body for Incoming {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.get_mut().kind {
            Inner::Empty => Poll::Ready(None),
            Inner::Wire(wire) => wire.poll_frame(cx),
            #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
            Inner::Decoded(d) => d.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Inner::Empty => true,
            Inner::Wire(wire) => wire.is_end_stream(),
            #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
            Inner::Decoded(d) => d.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        if self.is_end_stream() { SizeHint::with_exact(0) } else { SizeHint::default() }
    }
}

impl fmt::Debug for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Inner::Empty => "empty",
            Inner::Wire(_) => "wire",
            #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
            Inner::Decoded(_) => "decoded",
        };
        f.debug_struct("Incoming").field("kind", &kind).field("attempts", &self.attempts().len()).finish()
    }
}
