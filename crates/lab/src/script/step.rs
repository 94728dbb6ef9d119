//! Declarative scripts: a list of steps built with chained calls and run
//! against one connection by [`ScriptConn::run`](super::ScriptConn::run).

use std::time::Duration;

use bytes::Bytes;

use baton_proto::h2::frame::{Frame, Reason, Settings};

use super::frames;
use super::matcher::Matcher;

/// One thing the server does or expects. Each maps onto a
/// [`ScriptConn`](super::ScriptConn) method of the same name.
#[derive(Debug, Clone)]
pub enum Step {
    /// Read the client preface and nothing else (RFC 9113 §3.4).
    ExpectPreface,
    /// Read the client preface and SETTINGS, send these SETTINGS and the ACK.
    Handshake(Settings),
    /// Wait for the next complete request.
    ExpectRequest,
    /// Wait for the next request head.
    ExpectRequestHead,
    /// Wait for a matching frame, skipping SETTINGS ACK, PING ACK,
    /// WINDOW_UPDATE and PRIORITY.
    ExpectFrame(Matcher),
    /// The very next frame must match.
    ExpectNext(Matcher),
    /// Send one frame.
    Send(Frame),
    /// Send frames in a single write.
    SendAll(Vec<Frame>),
    /// Send a field block as HEADERS (+ CONTINUATION), HPACK-encoded when the
    /// step runs.
    SendHeaders {
        /// The stream.
        stream: u32,
        /// Field names and values, pseudo-headers included.
        fields: Vec<(String, String)>,
        /// Set END_STREAM.
        end_stream: bool,
    },
    /// Send a whole response: HEADERS, then DATA with END_STREAM.
    Respond {
        /// The stream.
        stream: u32,
        /// `:status`.
        status: u16,
        /// The body.
        body: Bytes,
    },
    /// Send bytes as they are.
    SendRaw(Bytes),
    /// Do nothing for a while.
    Sleep(Duration),
    /// Send FIN.
    Close,
    /// Abort with RST.
    Reset,
    /// Read until the client closes.
    ExpectEof,
}

/// A sequence of [`Step`]s, built with chained calls.
///
/// ```
/// use baton_lab::script::{Matcher, Script};
/// use baton_proto::h2::frame::Reason;
///
/// // Answer the first request, then refuse the second with GOAWAY.
/// let script = Script::new()
///     .handshake()
///     .expect_request()
///     .respond(1, 200, b"ok")
///     .expect_request_head()
///     .go_away(1, Reason::NO_ERROR)
///     .expect_eof();
/// assert_eq!(script.steps().len(), 6);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "a script does nothing until it is run"]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// An empty script.
    pub fn new() -> Self {
        Self::default()
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Appends any step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// [`Step::ExpectPreface`].
    pub fn expect_preface(self) -> Self {
        self.step(Step::ExpectPreface)
    }

    /// [`Step::Handshake`] with an empty SETTINGS frame: every setting at its
    /// RFC 9113 §6.5.2 default (no concurrency limit).
    pub fn handshake(self) -> Self {
        self.handshake_with(Settings::default())
    }

    /// [`Step::Handshake`] with these settings.
    pub fn handshake_with(self, settings: Settings) -> Self {
        self.step(Step::Handshake(settings))
    }

    /// [`Step::ExpectRequest`].
    pub fn expect_request(self) -> Self {
        self.step(Step::ExpectRequest)
    }

    /// [`Step::ExpectRequestHead`].
    pub fn expect_request_head(self) -> Self {
        self.step(Step::ExpectRequestHead)
    }

    /// [`Step::ExpectFrame`].
    pub fn expect_frame(self, matcher: Matcher) -> Self {
        self.step(Step::ExpectFrame(matcher))
    }

    /// [`Step::ExpectNext`].
    pub fn expect_next(self, matcher: Matcher) -> Self {
        self.step(Step::ExpectNext(matcher))
    }

    /// [`Step::Send`].
    pub fn send(self, frame: Frame) -> Self {
        self.step(Step::Send(frame))
    }

    /// [`Step::SendAll`].
    pub fn send_all(self, frames: impl IntoIterator<Item = Frame>) -> Self {
        self.step(Step::SendAll(frames.into_iter().collect()))
    }

    /// [`Step::SendHeaders`].
    pub fn headers(self, stream: u32, fields: &[(&str, &str)], end_stream: bool) -> Self {
        let fields = fields.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        self.step(Step::SendHeaders { stream, fields, end_stream })
    }

    /// [`Step::Respond`].
    pub fn respond(self, stream: u32, status: u16, body: &[u8]) -> Self {
        self.step(Step::Respond { stream, status, body: Bytes::copy_from_slice(body) })
    }

    /// Sends a DATA frame ([`frames::data`]).
    pub fn data(self, stream: u32, payload: &[u8], end_stream: bool) -> Self {
        self.send(frames::data(stream, payload, end_stream))
    }

    /// Sends GOAWAY ([`frames::go_away`]).
    pub fn go_away(self, last: u32, reason: Reason) -> Self {
        self.send(frames::go_away(last, reason))
    }

    /// Sends RST_STREAM ([`frames::rst`]).
    pub fn rst(self, stream: u32, reason: Reason) -> Self {
        self.send(frames::rst(stream, reason))
    }

    /// Sends PING ([`frames::ping`]).
    pub fn ping(self, payload: [u8; 8]) -> Self {
        self.send(frames::ping(payload))
    }

    /// Sends WINDOW_UPDATE ([`frames::window_update`]).
    pub fn window_update(self, stream: u32, increment: u32) -> Self {
        self.send(frames::window_update(stream, increment))
    }

    /// [`Step::SendRaw`], e.g. with [`frames::raw`].
    pub fn send_raw(self, bytes: impl AsRef<[u8]>) -> Self {
        self.step(Step::SendRaw(Bytes::copy_from_slice(bytes.as_ref())))
    }

    /// [`Step::Sleep`].
    pub fn sleep(self, duration: Duration) -> Self {
        self.step(Step::Sleep(duration))
    }

    /// [`Step::Close`].
    pub fn close(self) -> Self {
        self.step(Step::Close)
    }

    /// [`Step::Reset`].
    pub fn reset(self) -> Self {
        self.step(Step::Reset)
    }

    /// [`Step::ExpectEof`].
    pub fn expect_eof(self) -> Self {
        self.step(Step::ExpectEof)
    }
}
