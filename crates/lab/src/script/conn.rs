//! One accepted connection: the server end of a script, a testkit
//! [`Peer`] (frame decoder, both HPACK contexts) driven over TCP, with a
//! record of everything received.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use baton_proto::h2::frame::{
    DEFAULT_MAX_FRAME_SIZE, Data, Frame, Ping, Settings, StreamId, encode_field_block,
};
use baton_testkit::Peer;

use super::matcher::{Matcher, describe};
use super::request::{Request, Requests, invalid};
use super::transcript::Transcript;

/// The server end of one HTTP/2 connection, driven frame by frame by a test.
///
/// It decodes what the client sends (recording every frame and reassembling
/// requests, see [`Self::recv_request`]) and sends exactly what it is told,
/// with no protocol logic of its own: no automatic SETTINGS or PING
/// acknowledgements (except in [`Self::handshake`]), no flow control, no
/// stream states. Every read and write is bounded by [`Self::timeout`].
///
/// HEADERS built with [`Self::headers`] or [`Self::encode_block`] change the
/// HPACK encoder's dynamic table at once: send them in the order they were
/// built, or the client's decoder will (rightly) fail with a
/// COMPRESSION_ERROR.
///
/// # Drop
/// Dropping the connection closes it like [`Self::close`]: FIN, then what
/// the client still sends is read and discarded in a background task (up to
/// the timeout), because closing a socket with unread bytes would make the
/// kernel answer with RST instead. Use [`Self::reset`] to send RST.
#[derive(Debug)]
pub struct ScriptConn {
    io: Option<TcpStream>,
    peer_addr: SocketAddr,
    timeout: Duration,
    write_closed: bool,
    /// The codec: the bytes read and not yet decoded, the frame decoder and
    /// both HPACK contexts.
    peer: Peer,
    requests: Requests,
    received: Vec<Frame>,
    client_settings: Option<Settings>,
    /// The client's SETTINGS_MAX_FRAME_SIZE: how large our frames may be.
    peer_max_frame_size: u32,
    /// SETTINGS we sent that the client has not acknowledged yet, oldest first.
    unacked: VecDeque<Settings>,
}

impl ScriptConn {
    pub(crate) fn new(io: TcpStream, peer_addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            io: Some(io),
            peer_addr,
            timeout,
            write_closed: false,
            peer: Peer::new(),
            requests: Requests::default(),
            received: Vec::new(),
            client_settings: None,
            peer_max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            unacked: VecDeque::new(),
        }
    }

    // ----- getters ---------------------------------------------------------

    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// How long one read, write or expectation may take before it fails
    /// with `TimedOut`.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Changes [`Self::timeout`].
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The client's most recent SETTINGS (not ACK), once received.
    pub fn client_settings(&self) -> Option<&Settings> {
        self.client_settings.as_ref()
    }

    /// Every frame received so far, in order.
    pub fn received(&self) -> &[Frame] {
        &self.received
    }

    /// What the client sent so far: its SETTINGS, every frame, every request
    /// (complete or not).
    pub fn transcript(&self) -> Transcript {
        Transcript {
            settings: self.client_settings,
            received: self.received.clone(),
            requests: self.requests.all(),
        }
    }

    // ----- receiving -------------------------------------------------------

    /// Reads the 24-byte client connection preface (RFC 9113 §3.4) and
    /// nothing more.
    ///
    /// # Errors
    /// `InvalidData` if the bytes are not the preface, `UnexpectedEof`,
    /// `TimedOut`, or the socket's error.
    pub async fn recv_preface(&mut self) -> io::Result<()> {
        let deadline = self.deadline();
        loop {
            match self.peer.take_preface() {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(seen) => {
                    let seen = String::from_utf8_lossy(&seen).into_owned();
                    return Err(invalid(format!("expected the HTTP/2 client preface, got {seen:?}")));
                }
            }
            if self.fill(deadline).await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "EOF before the client preface"));
            }
        }
    }

    /// The usual opening: reads the client preface and the client's SETTINGS
    /// (RFC 9113 §3.4), then sends `settings` as the server preface and
    /// acknowledges the client's (§6.5.3), in one write. Returns the
    /// client's settings. The client's acknowledgement of ours is read
    /// later, by whatever reads next.
    ///
    /// # Errors
    /// As [`Self::recv_preface`]; `InvalidData` when the first frame is not
    /// a SETTINGS frame without ACK.
    pub async fn handshake(&mut self, settings: Settings) -> io::Result<Settings> {
        self.recv_preface().await?;
        let deadline = self.deadline();
        let theirs = match self.next_frame(deadline).await? {
            Some(Frame::Settings(s)) if !s.ack => s,
            Some(other) => {
                return Err(invalid(format!(
                    "RFC 9113 §3.4: the client preface must go on with SETTINGS, got {}",
                    describe(&other)
                )));
            }
            None => return Err(eof("the client's SETTINGS")),
        };
        let ours = Settings { ack: false, ..settings };
        let mut buf = BytesMut::new();
        ours.encode(&mut buf);
        Settings::ack().encode(&mut buf);
        self.sending_settings(ours);
        self.write(&buf).await?;
        Ok(theirs)
    }

    /// The next frame from the client, or `None` on EOF at a frame boundary.
    ///
    /// # Errors
    /// `TimedOut` after [`Self::timeout`]; `InvalidData` when the bytes are
    /// not a valid frame (the [`FrameError`](baton_proto::h2::frame::FrameError)
    /// is the source) or break the field-block rules; `UnexpectedEof` when
    /// the connection ends inside a frame; the socket's error.
    pub async fn recv_frame(&mut self) -> io::Result<Option<Frame>> {
        let deadline = self.deadline();
        self.next_frame(deadline).await
    }

    /// Reads frames until one matches `matcher`, skipping the frames a
    /// client sends on its own schedule or in answer to ours: SETTINGS ACK,
    /// PING ACK, WINDOW_UPDATE and PRIORITY (unless `matcher` matches them).
    /// Any other frame fails.
    ///
    /// # Errors
    /// `InvalidData` naming the frame that came instead, `UnexpectedEof` on
    /// EOF, and the errors of [`Self::recv_frame`].
    pub async fn expect_frame(&mut self, matcher: &Matcher) -> io::Result<Frame> {
        let deadline = self.deadline();
        loop {
            let Some(frame) = self.next_frame(deadline).await? else {
                return Err(eof(&format!("expected {matcher}")));
            };
            if matcher.matches(&frame) {
                return Ok(frame);
            }
            if !is_housekeeping(&frame) {
                return Err(invalid(format!("expected {matcher}, got {}", describe(&frame))));
            }
        }
    }

    /// Reads exactly one frame and checks it against `matcher`, skipping
    /// nothing.
    ///
    /// # Errors
    /// As [`Self::expect_frame`].
    pub async fn expect_next(&mut self, matcher: &Matcher) -> io::Result<Frame> {
        let frame = self.recv_frame().await?.ok_or_else(|| eof(&format!("expected {matcher}")))?;
        if matcher.matches(&frame) {
            Ok(frame)
        } else {
            Err(invalid(format!("expected {matcher}, got {}", describe(&frame))))
        }
    }

    /// The next complete request (END_STREAM received), in the order the
    /// requests' heads arrived, each returned once.
    ///
    /// Requests are assembled from every frame received, whichever method
    /// read it, so one already complete is returned without reading. While
    /// waiting, the frames [`Self::expect_frame`] skips are skipped too; any
    /// other frame but HEADERS, CONTINUATION and DATA fails.
    ///
    /// # Errors
    /// `InvalidData` for an unexpected frame, `UnexpectedEof` on EOF, and
    /// the errors of [`Self::recv_frame`].
    pub async fn recv_request(&mut self) -> io::Result<Request> {
        self.wait_request(Requests::take_complete).await
    }

    /// Like [`Self::recv_request`], but returns as soon as the next request's
    /// head is complete, with whatever body had arrived. The request can
    /// still be taken again, whole, by [`Self::recv_request`].
    ///
    /// # Errors
    /// As [`Self::recv_request`].
    pub async fn recv_request_head(&mut self) -> io::Result<Request> {
        self.wait_request(Requests::take_head).await
    }

    async fn wait_request(
        &mut self,
        mut take: impl FnMut(&mut Requests) -> Option<Request>,
    ) -> io::Result<Request> {
        let deadline = self.deadline();
        loop {
            if let Some(request) = take(&mut self.requests) {
                return Ok(request);
            }
            match self.next_frame(deadline).await? {
                None => return Err(eof("a request")),
                Some(Frame::Headers(_) | Frame::Continuation(_) | Frame::Data(_)) => {}
                Some(frame) if is_housekeeping(&frame) => {}
                Some(frame) => {
                    return Err(invalid(format!("expected a request, got {}", describe(&frame))));
                }
            }
        }
    }

    /// Reads and records frames until the client closes the connection (EOF
    /// or a connection reset).
    ///
    /// # Errors
    /// `TimedOut` if the client keeps the connection open past
    /// [`Self::timeout`]; `UnexpectedEof` if it closes inside a frame;
    /// `InvalidData` for bytes that are not frames.
    pub async fn expect_eof(&mut self) -> io::Result<()> {
        let deadline = self.deadline();
        loop {
            match self.next_frame(deadline).await {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Decodes the next frame, reading until it is whole, and records it.
    async fn next_frame(&mut self, deadline: Instant) -> io::Result<Option<Frame>> {
        loop {
            match self.peer.next_frame() {
                Ok(Some(frame)) => {
                    self.received.push(frame.clone());
                    self.observe(&frame)?;
                    return Ok(Some(frame));
                }
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            if self.fill(deadline).await? == 0 {
                let buffered = self.peer.inbox().len();
                if buffered == 0 {
                    return Ok(None);
                }
                let msg = format!("EOF inside a frame ({buffered} bytes buffered)");
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
            }
        }
    }

    /// Connection-level effects of a received frame.
    fn observe(&mut self, frame: &Frame) -> io::Result<()> {
        match frame {
            Frame::Settings(s) if s.ack => {
                // RFC 9113 §6.5.3: our settings are in force once acknowledged.
                if let Some(ours) = self.unacked.pop_front() {
                    if let Some(size) = ours.header_table_size {
                        self.peer.hpack_decoder.set_max_table_size(size as usize);
                    }
                    if let Some(max) = ours.max_frame_size {
                        self.peer.decoder.set_max_frame_size(max);
                    }
                }
            }
            Frame::Settings(s) => {
                self.client_settings = Some(*s);
                // RFC 9113 §6.5.2: the client's HEADER_TABLE_SIZE bounds our
                // encoder's table, its MAX_FRAME_SIZE our frames.
                if let Some(size) = s.header_table_size {
                    self.peer.hpack_encoder.set_max_table_size(size as usize);
                }
                if let Some(max) = s.max_frame_size {
                    self.peer_max_frame_size = max;
                }
            }
            _ => {}
        }
        self.requests.observe(frame, &mut self.peer)
    }

    /// Reads what is available into the read buffer; 0 means EOF.
    async fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
        let timeout = self.timeout;
        let io = self.io.as_mut().ok_or_else(not_connected)?;
        let inbox = self.peer.inbox();
        inbox.reserve(8 << 10);
        match tokio::time::timeout_at(deadline, io.read_buf(inbox)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("nothing from the client for {timeout:?}"),
            )),
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    // ----- sending ---------------------------------------------------------

    /// Sends one frame as it is.
    ///
    /// # Errors
    /// The socket's error, `TimedOut` if the client stops reading, or
    /// `NotConnected` after [`Self::reset`].
    pub async fn send(&mut self, frame: Frame) -> io::Result<()> {
        self.send_all(std::slice::from_ref(&frame)).await
    }

    /// Sends frames back to back in a single write, so they reach the client
    /// together.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn send_all(&mut self, frames: &[Frame]) -> io::Result<()> {
        let mut buf = BytesMut::new();
        for frame in frames {
            if let Frame::Settings(s) = frame
                && !s.ack
            {
                self.sending_settings(*s);
            }
            frame.encode(&mut buf);
        }
        self.write(&buf).await
    }

    /// Sends arbitrary bytes, e.g. a malformed frame from
    /// [`frames::raw`](super::frames::raw) or a flood from
    /// [`frames::repeated`](super::frames::repeated). The connection's own state
    /// (HPACK, settings) does not see them.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write(bytes).await
    }

    /// HPACK-encodes `fields` with this connection's encoder (RFC 7541).
    pub fn encode_block(&mut self, fields: &[(&str, &str)]) -> Bytes {
        self.peer.encode_block(fields)
    }

    /// A HEADERS frame with END_HEADERS carrying `fields`, whatever its size
    /// (see [`Self::send_headers`] to split it). Pseudo-headers such as
    /// `:status` are fields like any other: their order and presence are
    /// the caller's.
    pub fn headers(&mut self, stream: u32, fields: &[(&str, &str)], end_stream: bool) -> Frame {
        self.peer.headers(stream, fields, end_stream)
    }

    /// Sends `fields` as HEADERS plus as many CONTINUATION frames as the
    /// client's SETTINGS_MAX_FRAME_SIZE requires (RFC 9113 §4.3), in one
    /// write.
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn send_headers(
        &mut self,
        stream: u32,
        fields: &[(&str, &str)],
        end_stream: bool,
    ) -> io::Result<()> {
        let block = self.encode_block(fields);
        let mut buf = BytesMut::new();
        encode_field_block(&mut buf, StreamId::new(stream), &block, end_stream, self.peer_max_frame_size);
        self.write(&buf).await
    }

    /// A whole response in one write: HEADERS with `:status` and
    /// `content-length`, then the body in DATA frames no larger than the
    /// client's SETTINGS_MAX_FRAME_SIZE, the last with END_STREAM (an empty
    /// body puts END_STREAM on HEADERS). Flow control is not checked: the
    /// body must fit the client's windows (RFC 9113 §6.9).
    ///
    /// # Errors
    /// As [`Self::send`].
    pub async fn respond(&mut self, stream: u32, status: u16, body: &[u8]) -> io::Result<()> {
        let id = StreamId::new(stream);
        let (status, length) = (status.to_string(), body.len().to_string());
        let block = self.encode_block(&[(":status", &status), ("content-length", &length)]);
        let mut buf = BytesMut::with_capacity(block.len() + body.len() + 64);
        encode_field_block(&mut buf, id, &block, body.is_empty(), self.peer_max_frame_size);
        let mut chunks = body.chunks(self.peer_max_frame_size as usize).peekable();
        while let Some(chunk) = chunks.next() {
            Data::encode_slice(&mut buf, id, chunk, chunks.peek().is_none());
        }
        self.write(&buf).await
    }

    /// Sends FIN (shuts the write side down). Frames can still be received,
    /// e.g. with [`Self::expect_eof`].
    ///
    /// # Errors
    /// The socket's error, or `NotConnected` after [`Self::reset`].
    pub async fn close(&mut self) -> io::Result<()> {
        let io = self.io.as_mut().ok_or_else(not_connected)?;
        self.write_closed = true;
        io.shutdown().await
    }

    /// Aborts the connection with a TCP RST: SO_LINGER is set to zero and
    /// the socket closed. Unsent bytes are discarded; the client's next read
    /// or write fails with a connection reset. Later I/O on this connection
    /// fails with `NotConnected`.
    ///
    /// # Errors
    /// Setting SO_LINGER failed (the socket is closed anyway).
    pub fn reset(&mut self) -> io::Result<()> {
        let io = self.io.take().ok_or_else(not_connected)?;
        socket2::SockRef::from(&io).set_linger(Some(Duration::ZERO))
    }

    /// Records SETTINGS about to be sent: a larger MAX_FRAME_SIZE is
    /// accepted at once (the client cannot use it before it arrives), the
    /// rest takes effect on the client's ACK (RFC 9113 §6.5.3).
    fn sending_settings(&mut self, settings: Settings) {
        if let Some(max) = settings.max_frame_size
            && max > self.peer.decoder.max_frame_size()
        {
            self.peer.decoder.set_max_frame_size(max);
        }
        self.unacked.push_back(settings);
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let timeout = self.timeout;
        let io = self.io.as_mut().ok_or_else(not_connected)?;
        match tokio::time::timeout(timeout, io.write_all(bytes)).await {
            Ok(result) => result,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {timeout:?}"),
            )),
        }
    }
}

impl Drop for ScriptConn {
    fn drop(&mut self) {
        let Some(mut io) = self.io.take() else {
            return;
        };
        // Outside a runtime the socket is just closed (RST if bytes are unread).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (timeout, write_closed) = (self.timeout, self.write_closed);
        runtime.spawn(async move {
            let drain = async {
                if !write_closed {
                    io.shutdown().await?;
                }
                let mut sink = [0; 4096];
                while io.read(&mut sink).await? != 0 {}
                io::Result::Ok(())
            };
            // Whatever happens, the socket is closed when the task ends.
            let _ = tokio::time::timeout(timeout, drain).await;
        });
    }
}

/// Frames a client sends on its own schedule, skipped while waiting for
/// something else.
fn is_housekeeping(frame: &Frame) -> bool {
    match frame {
        Frame::Settings(Settings { ack, .. }) | Frame::Ping(Ping { ack, .. }) => *ack,
        Frame::WindowUpdate(_) | Frame::Priority(_) => true,
        _ => false,
    }
}

fn eof(waiting_for: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the client closed the connection; waiting for {waiting_for}"),
    )
}

fn not_connected() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "the connection was reset by the script")
}
