//! The client connection state machine (RFC 9113), sans-IO.
//!
//! # Call order
//! ```text
//! let mut conn = Connection::new(config, now);        // preface + SETTINGS queued
//! loop {
//!     write(conn.poll_transmit(now)); conn.handle_written(n);  // after every write
//!     conn.handle_read(bytes, now) / conn.handle_eof(now)       // after every read
//!     conn.handle_timeout(now) when conn.poll_timeout() passes
//!     while let Some(ev) = conn.poll_event() { ... }            // after every input
//!     conn.send_request(..) / send_data / send_trailers / reset / release_capacity / go_away
//! }
//! ```
//! Inputs never block and never read a clock; time comes in as `now`.
//! A driver that writes while it reads takes the bytes with
//! `take_transmit` instead, and before each write trims what it holds to
//! [`Connection::taken_to_write`]: a close withdraws the frames queued
//! behind the one in progress.
//!
//! # The journal
//! Every stream keeps a [`Phase`](crate::Phase). `HeadersWritten` is set only
//! once [`Connection::handle_written`] confirms that every byte of the
//! stream's header block left through the transport. Every stream that ends
//! without a complete response produces exactly one
//! [`Event::StreamFailed`](super::Event::StreamFailed) with the phase and
//! the [`Processing`](crate::Processing) verdict.

mod close;
mod expect;
mod frame_bounds;
mod keepalive;
mod recv;
mod send;
mod timers;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Uri};

use super::config::Config;
use super::error::SendError;
use super::event::Event;
use super::fields::RequestFields;
use super::flow::{RecvWindow, Window};
use super::frame::{
    self, DEFAULT_INITIAL_WINDOW_SIZE, DEFAULT_MAX_FRAME_SIZE, FrameDecoder, GoAway, Ping, Reason, Settings,
    StreamId, StreamIdMap, WindowUpdate,
};
use super::hpack;
use super::stream::{Input, Stream};
use super::timer::{Timer, TimerTable};
use crate::Phase;
use crate::transmit::Transmitted;
use frame_bounds::FrameBounds;
use keepalive::KeepAlive;

/// RFC 9113 §3.4: the client connection preface.
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Write buffer size beyond which `poll_transmit` stops packing DATA frames.
const WRITE_HIGH_WATER: usize = 256 << 10;

/// Our encoder's dynamic table never grows past this, whatever the server
/// allows (RFC 7541 §4.2: the encoder may use less than the maximum).
const MAX_ENCODER_TABLE: u32 = 64 << 10;

/// Where the connection is in its life.
///
/// Closed on purpose: these are the three lives RFC 9113 §6.8 gives a
/// connection (taking streams, draining after a GOAWAY, done), and drivers
/// match on them exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Takes new streams (within the peer's concurrency limit).
    Open,
    /// A GOAWAY was received or sent: existing streams finish, no new ones.
    Draining,
    /// Finished; see the [`Event::Closed`] cause.
    Closed,
}

/// The server's settings as they stand (RFC 9113 §6.5.2 defaults until its
/// SETTINGS frame arrives).
#[derive(Debug, Clone, Copy)]
struct PeerSettings {
    max_concurrent_streams: u32,
    initial_window_size: u32,
    max_frame_size: u32,
    max_header_list_size: Option<u32>,
}

/// A field block being reassembled from HEADERS + CONTINUATION (§6.10).
#[derive(Debug)]
struct PartialBlock {
    stream_id: StreamId,
    end_stream: bool,
    fragments: BytesMut,
    frames: u32,
    /// The HEADERS frame named its own stream as its dependency (§5.3.1):
    /// the block is decoded, then the stream is reset.
    self_dependent: bool,
}

/// What a position in the outgoing byte stream means for a stream's journal.
#[derive(Debug, Clone, Copy)]
enum MarkerKind {
    /// The header block ends here; `end_stream` when it ended the request.
    HeadersEnd { end_stream: bool },
    /// `total` body bytes of the stream end here; `end` when END_STREAM too.
    Body { total: u64, end: bool },
}

#[derive(Debug, Clone, Copy)]
struct Marker {
    /// Offset in the connection's outgoing byte stream just past the frame.
    offset: u64,
    stream_id: StreamId,
    kind: MarkerKind,
}

type StreamMap = StreamIdMap<Stream>;

/// An HTTP/2 client connection: frames, HPACK, flow control, streams and
/// GOAWAY handling, with no I/O. See the module documentation for the call
/// order.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    state: ConnectionState,
    now: Instant,
    streams: StreamMap,
    /// Streams with body, END_STREAM or trailers to encode, round-robin.
    send_ready: VecDeque<StreamId>,
    next_stream_id: Option<StreamId>,
    /// The highest stream id we opened (0 before the first).
    highest_opened: StreamId,
    /// Streams we reset or gave up on, with when: late frames for them are
    /// ignored until then (§5.1 "closed").
    reset_streams: VecDeque<(StreamId, Instant)>,

    frame_decoder: FrameDecoder,
    hpack_decoder: hpack::Decoder,
    /// Response fields checked before (`known_fields.rs`).
    known_fields: crate::known_fields::KnownFields,
    hpack_encoder: hpack::Encoder,
    read_buf: BytesMut,
    write_buf: BytesMut,
    /// Scratch space for HPACK output before it is framed.
    block_buf: BytesMut,
    sent: Transmitted,
    markers: VecDeque<Marker>,
    bounds: FrameBounds,

    peer: PeerSettings,
    got_peer_settings: bool,
    settings_acks_pending: u32,
    /// Our smaller HEADER_TABLE_SIZE takes effect for the decoder on ACK.
    decoder_table_on_ack: Option<u32>,
    conn_send_window: Window,
    conn_recv_window: RecvWindow,
    partial_block: Option<PartialBlock>,
    control_frames_in_a_row: u32,

    last_go_away: Option<GoAway>,
    go_aways_received: u32,
    /// Why the connection ended, once it has.
    close_cause: Option<super::error::CloseCause>,
    /// Where in the outgoing stream our (first NO_ERROR) GOAWAY starts.
    go_away_at: Option<u64>,
    keepalive: KeepAlive,

    timers: TimerTable,
    events: VecDeque<Event>,
}

impl Connection {
    /// Starts a connection: the preface, our SETTINGS (ENABLE_PUSH=0 and the
    /// configured limits) and a WINDOW_UPDATE opening the connection window
    /// are queued for [`Self::poll_transmit`] (RFC 9113 §3.4, §6.9.2).
    pub fn new(config: Config, now: Instant) -> Self {
        let first = StreamId::new(config.first_stream_id | 1);
        let mut frame_decoder = FrameDecoder::new();
        frame_decoder.set_max_frame_size(
            config.max_frame_size.clamp(DEFAULT_MAX_FRAME_SIZE, frame::MAX_MAX_FRAME_SIZE),
        );
        // RFC 7541 §4.2 / RFC 9113 §6.5.2: until the server acknowledges our
        // SETTINGS it may use the default 4,096; a larger value is safe at once.
        let table = config.header_table_size.max(4_096);
        let mut hpack_decoder = hpack::Decoder::new(table as usize);
        hpack_decoder.set_max_header_list_size(config.max_header_list_size as usize);
        let mut conn = Self {
            state: ConnectionState::Open,
            now,
            streams: StreamMap::default(),
            send_ready: VecDeque::new(),
            next_stream_id: Some(first),
            highest_opened: StreamId::ZERO,
            reset_streams: VecDeque::new(),
            frame_decoder,
            hpack_decoder,
            known_fields: Default::default(),
            hpack_encoder: hpack::Encoder::new(),
            // Both start small: `bytes` sizes every later allocation of a
            // shared buffer to at least its first capacity, and a reader
            // or writer that needs more reserves more.
            read_buf: BytesMut::with_capacity(8 << 10),
            write_buf: BytesMut::with_capacity(8 << 10),
            block_buf: BytesMut::with_capacity(1024),
            sent: Transmitted::default(),
            markers: VecDeque::new(),
            bounds: FrameBounds::new(0),
            peer: PeerSettings {
                max_concurrent_streams: config.initial_max_concurrent_streams,
                initial_window_size: DEFAULT_INITIAL_WINDOW_SIZE,
                max_frame_size: DEFAULT_MAX_FRAME_SIZE,
                max_header_list_size: None,
            },
            got_peer_settings: false,
            settings_acks_pending: 1,
            decoder_table_on_ack: (config.header_table_size < 4_096).then_some(config.header_table_size),
            conn_send_window: Window::new(DEFAULT_INITIAL_WINDOW_SIZE),
            conn_recv_window: RecvWindow::new(DEFAULT_INITIAL_WINDOW_SIZE, config.initial_connection_window),
            partial_block: None,
            control_frames_in_a_row: 0,
            last_go_away: None,
            go_aways_received: 0,
            close_cause: None,
            go_away_at: None,
            keepalive: KeepAlive::new(now),
            timers: TimerTable::default(),
            events: VecDeque::new(),
            config,
        };
        conn.write_buf.extend_from_slice(PREFACE);
        let settings = Settings {
            enable_push: Some(0),
            header_table_size: (conn.config.header_table_size != 4_096)
                .then_some(conn.config.header_table_size),
            initial_window_size: Some(conn.config.initial_stream_window.min(frame::MAX_WINDOW_SIZE)),
            max_frame_size: (conn.config.max_frame_size != DEFAULT_MAX_FRAME_SIZE)
                .then_some(conn.frame_decoder.max_frame_size()),
            max_header_list_size: Some(conn.config.max_header_list_size),
            ..Settings::default()
        };
        settings.encode(&mut conn.write_buf);
        if let Some(inc) = conn.conn_recv_window.open_to_target() {
            WindowUpdate { stream_id: StreamId::ZERO, increment: inc }.encode(&mut conn.write_buf);
        }
        conn.bounds = FrameBounds::new(conn.write_buf.len());
        conn.timers.set(Timer::SettingsAck, now + conn.config.settings_ack_timeout);
        conn.arm_idle();
        conn.arm_keepalive();
        conn
    }

    // ----- getters -------------------------------------------------------

    /// Where the connection is in its life.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// Streams open now (sent HEADERS, not yet finished or failed).
    pub fn active_streams(&self) -> usize {
        self.streams.len()
    }

    /// How many more streams may be opened now: zero when draining, closed,
    /// out of stream ids, or at the server's SETTINGS_MAX_CONCURRENT_STREAMS.
    pub fn available_streams(&self) -> usize {
        if self.state != ConnectionState::Open || self.next_stream_id.is_none() {
            return 0;
        }
        (self.peer.max_concurrent_streams as usize).saturating_sub(self.streams.len())
    }

    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (or the assumed initial
    /// value before its SETTINGS arrived).
    pub fn peer_max_concurrent_streams(&self) -> u32 {
        self.peer.max_concurrent_streams
    }

    /// True once the 31-bit stream id space is used up (RFC 9113 §5.1.1):
    /// the caller should open a new connection.
    pub fn is_stream_ids_exhausted(&self) -> bool {
        self.next_stream_id.is_none()
    }

    /// The last GOAWAY received, if any.
    pub fn last_go_away(&self) -> Option<&GoAway> {
        self.last_go_away.as_ref()
    }

    /// True once the server's connection preface (its first SETTINGS,
    /// RFC 9113 §3.4) has arrived.
    pub fn peer_settings_received(&self) -> bool {
        self.got_peer_settings
    }

    /// Why the connection ended, once it has (the cause its
    /// [`Event::Closed`] carries, readable before that event is polled).
    pub fn close_cause(&self) -> Option<&super::error::CloseCause> {
        self.close_cause.as_ref()
    }

    /// How many GOAWAY frames were received.
    pub fn go_aways_received(&self) -> u32 {
        self.go_aways_received
    }

    /// The journal phase of an open stream.
    pub fn stream_phase(&self, id: StreamId) -> Option<Phase> {
        self.streams.get(&id).map(|s| s.phase)
    }

    /// Request body bytes of an open stream confirmed written.
    pub fn stream_body_sent(&self, id: StreamId) -> Option<u64> {
        self.streams.get(&id).map(|s| s.body_written)
    }

    /// Body bytes queued on a stream and not yet encoded.
    pub fn send_buffered(&self, id: StreamId) -> Option<usize> {
        self.streams.get(&id).map(|s| s.send_buffered)
    }

    /// True when bytes wait in the write buffer.
    pub fn wants_write(&self) -> bool {
        !self.write_buf.is_empty() || !self.send_ready.is_empty()
    }

    // ----- commands --------------------------------------------------------

    /// Opens a stream and encodes its request head (HEADERS + CONTINUATION)
    /// into the write buffer. With `end_stream` the request has no body.
    ///
    /// # Errors
    /// [`SendError`] when the connection takes no new stream or the head is
    /// invalid; nothing was queued and the request may go elsewhere.
    pub fn send_request(
        &mut self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        end_stream: bool,
        now: Instant,
    ) -> Result<StreamId, SendError> {
        self.now = now;
        match self.state {
            ConnectionState::Open => {}
            ConnectionState::Draining => return Err(SendError::GoingAway(self.last_go_away.clone())),
            ConnectionState::Closed => return Err(SendError::Closed),
        }
        let Some(id) = self.next_stream_id else {
            return Err(SendError::StreamIdsExhausted);
        };
        if self.streams.len() >= self.peer.max_concurrent_streams as usize {
            return Err(SendError::ConcurrencyLimit);
        }
        let fields = RequestFields::new(method, uri, headers).map_err(SendError::InvalidRequest)?;
        if let Some(max) = self.peer.max_header_list_size {
            let size = fields.list_size();
            if size > max as usize {
                return Err(SendError::HeaderListTooLarge { size, max });
            }
        }
        self.block_buf.clear();
        fields.encode(&mut self.hpack_encoder, &mut self.block_buf);
        frame::encode_field_block(
            &mut self.write_buf,
            id,
            &self.block_buf,
            end_stream,
            self.peer.max_frame_size,
        );

        let mut stream = Stream::new(
            id,
            self.peer.initial_window_size,
            self.config.initial_stream_window,
            *method == Method::HEAD,
        );
        // Cannot fail: Idle accepts SendHeaders.
        let _ = stream.state.on(Input::SendHeaders { end_stream });
        stream.advance(Phase::HeadersQueued);
        stream.end_queued = end_stream;
        stream.end_sent = end_stream;
        stream.wants_writable = !end_stream;
        self.push_marker(id, MarkerKind::HeadersEnd { end_stream });
        self.streams.insert(id, stream);
        self.highest_opened = id;
        self.next_stream_id = id.next();
        self.timers.stop(Timer::Idle);
        // A connection silent for longer than the keep-alive interval gets
        // its PING now, with this request (keepalive.rs).
        self.arm_keepalive();
        if !end_stream {
            self.events.push_back(Event::Writable { stream_id: id });
        }
        Ok(id)
    }

    /// Queues request body bytes; they are framed as the send windows allow.
    /// `end_stream` ends the request.
    ///
    /// # Errors
    /// [`SendError::StreamNotWritable`] when the stream is gone or its
    /// request already ended; [`SendError::SendBufferFull`] when more than
    /// `Config::max_send_buffer` bytes wait (retry after `Event::Writable`).
    pub fn send_data(&mut self, id: StreamId, data: Bytes, end_stream: bool) -> Result<(), SendError> {
        let max = self.config.max_send_buffer;
        let stream = self.writable_stream(id)?;
        if stream.send_buffered > 0 && stream.send_buffered + data.len() > max {
            return Err(SendError::SendBufferFull(id));
        }
        stream.send_buffered += data.len();
        if !data.is_empty() {
            stream.send_queue.push_back(data);
        }
        stream.end_queued = end_stream;
        stream.wants_writable = !end_stream;
        self.mark_ready(id);
        Ok(())
    }

    /// Ends the request with trailers (a HEADERS frame with END_STREAM after
    /// the body, RFC 9113 §8.1).
    ///
    /// # Errors
    /// [`SendError::StreamNotWritable`] when the stream is gone or ended.
    pub fn send_trailers(&mut self, id: StreamId, trailers: HeaderMap) -> Result<(), SendError> {
        let stream = self.writable_stream(id)?;
        stream.trailers = Some(trailers);
        stream.end_queued = true;
        stream.wants_writable = false;
        self.mark_ready(id);
        Ok(())
    }

    fn writable_stream(&mut self, id: StreamId) -> Result<&mut Stream, SendError> {
        match self.streams.get_mut(&id) {
            Some(s) if s.state.can_send() && !s.end_queued && !s.body_refused => Ok(s),
            _ => Err(SendError::StreamNotWritable(id)),
        }
    }

    /// Resets a stream (RST_STREAM, RFC 9113 §6.4), e.g. because the caller
    /// dropped the request. No event is emitted for it. Body bytes already
    /// delivered in `DataReceived` must still be released by the caller.
    pub fn reset(&mut self, id: StreamId, reason: Reason, now: Instant) {
        self.now = now;
        if let Some(mut stream) = self.streams.remove(&id) {
            let _ = stream.state.on(Input::SendReset);
            frame::RstStream { stream_id: id, reason }.encode(&mut self.write_buf);
            self.remember_reset(id);
            self.after_stream_removed();
        }
    }

    /// The application consumed `n` bytes of a stream's `DataReceived`
    /// payloads: the stream and connection windows reopen by that much
    /// (WINDOW_UPDATE, batched). Releasing for a stream that has ended only
    /// reopens the connection window.
    pub fn release_capacity(&mut self, id: StreamId, n: usize) {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if self.state == ConnectionState::Closed || n == 0 {
            return;
        }
        if let Some(s) = self.streams.get_mut(&id) {
            // No update once the peer has ended its side (§6.9: pointless).
            if let (Some(inc), false) = (s.recv_window.release(n), s.recv_phase_done()) {
                WindowUpdate { stream_id: id, increment: inc }.encode(&mut self.write_buf);
            }
        }
        self.release_connection(n);
    }

    /// As [`Self::release_capacity`] for bytes of a stream that is gone or
    /// whose peer has ended its side: only the connection's window reopens
    /// (RFC 9113 §6.9.1: flow-controlled frames count against it whatever
    /// their stream's state).
    pub fn release_connection_capacity(&mut self, n: usize) {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if self.state == ConnectionState::Closed || n == 0 {
            return;
        }
        self.release_connection(n);
    }

    /// Sends a PING (RFC 9113 §6.7); `Event::PingAck` reports the answer.
    pub fn ping(&mut self, payload: [u8; 8]) {
        if self.state != ConnectionState::Closed {
            Ping { ack: false, payload }.encode(&mut self.write_buf);
        }
    }

    /// Starts a graceful shutdown from our side (RFC 9113 §6.8): GOAWAY
    /// with NO_ERROR, no new streams, open streams may finish within
    /// `Config::go_away_drain_timeout`. Any other `reason` closes at once.
    pub fn go_away(&mut self, reason: Reason, now: Instant) {
        self.now = now;
        if self.state == ConnectionState::Closed {
            return;
        }
        if reason != Reason::NO_ERROR {
            let cause = super::error::CloseCause::User(reason);
            self.close_with(cause, reason, Bytes::from_static(b"closed by the application"));
            return;
        }
        self.send_go_away(reason, Bytes::new());
        self.state = ConnectionState::Draining;
        self.timers.set(Timer::GoAwayDrain, now + self.config.go_away_drain_timeout);
        if self.streams.is_empty() {
            self.close(super::error::CloseCause::Drained);
        }
    }

    /// A graceful shutdown whose open streams must be done by `deadline`
    /// (RFC 9113 §6.8): GOAWAY(NO_ERROR) unless one was sent, no new
    /// streams, and at `deadline` the connection closes, failing what is
    /// left (`CloseCause::Timeout(Deadline::GoAwayDrain)`). An earlier drain
    /// deadline stays.
    pub fn go_away_until(&mut self, deadline: Instant, now: Instant) {
        let earlier = self.timers.get(Timer::GoAwayDrain);
        self.go_away(Reason::NO_ERROR, now);
        if self.state == ConnectionState::Draining {
            self.timers.set(Timer::GoAwayDrain, earlier.map_or(deadline, |t| t.min(deadline)));
        }
    }

    // ----- outputs ---------------------------------------------------------

    /// Frames queued body data as the windows allow, then returns every byte
    /// waiting to be written (empty when there is nothing). Report what the
    /// transport accepted with [`Self::handle_written`]. Write from the slice
    /// before any other call: a close may withdraw bytes not yet written
    /// (see [`Self::taken_to_write`]), and a copy kept across calls would
    /// still send them.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant) -> &[u8] {
        self.now = now;
        if self.state != ConnectionState::Closed {
            self.pack_data();
        }
        &self.write_buf
    }

    /// Like [`Self::poll_transmit`], but hands the bytes over as an owned
    /// `Bytes` (no copy), for drivers that write while they read. The bytes
    /// still count as unwritten until [`Self::handle_written`] confirms them.
    #[must_use]
    pub fn take_transmit(&mut self, now: Instant) -> Bytes {
        let _ = self.poll_transmit(now);
        self.bounds.leave(self.sent.base(), &self.write_buf, self.write_buf.len(), true);
        self.sent.take(&mut self.write_buf)
    }

    /// How many of the bytes [`Self::take_transmit`] handed out, not yet
    /// confirmed, are still to be written: all of them while the connection
    /// lives. When it closes, the frames that follow the one in progress are
    /// withdrawn (their streams were failed as not sent, and may be retried
    /// elsewhere), and the driver must drop all but the first this many.
    #[must_use]
    pub fn taken_to_write(&self) -> usize {
        self.sent.taken()
    }

    /// The transport accepted the next `n` bytes: first of what
    /// [`Self::take_transmit`] handed out, then of what
    /// [`Self::poll_transmit`] returned. This is what moves request journals
    /// to `HeadersWritten` / `BodyPartlyWritten` / `BodyWritten`.
    pub fn handle_written(&mut self, n: usize) {
        let from_buf = n.saturating_sub(self.sent.taken()).min(self.write_buf.len());
        self.bounds.leave(self.sent.base(), &self.write_buf, from_buf, false);
        let written = self.sent.confirm(&mut self.write_buf, n);
        self.bounds.confirmed(written);
        self.pass_markers(written);
    }

    /// Moves the journal of every stream whose frame ends at or before
    /// stream offset `upto`.
    fn pass_markers(&mut self, upto: u64) {
        while let Some(m) = self.markers.front().copied() {
            if m.offset > upto {
                break;
            }
            self.markers.pop_front();
            let Some(s) = self.streams.get_mut(&m.stream_id) else { continue };
            match m.kind {
                MarkerKind::HeadersEnd { end_stream: true } => s.advance(Phase::BodyWritten),
                MarkerKind::HeadersEnd { end_stream: false } => s.advance(Phase::HeadersWritten),
                MarkerKind::Body { total, end } => {
                    s.body_written = total;
                    s.advance(if end { Phase::BodyWritten } else { Phase::BodyPartlyWritten(total) });
                }
            }
        }
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Self::handle_timeout`] should next be called.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == ConnectionState::Closed {
            return None;
        }
        self.timers.next_timeout()
    }

    // ----- internals shared by the submodules ------------------------------

    fn push_marker(&mut self, stream_id: StreamId, kind: MarkerKind) {
        let offset = self.sent.base() + self.write_buf.len() as u64;
        self.markers.push_back(Marker { offset, stream_id, kind });
    }

    fn mark_ready(&mut self, id: StreamId) {
        if let Some(s) = self.streams.get_mut(&id) {
            if !s.in_ready {
                s.in_ready = true;
                self.send_ready.push_back(id);
            }
        }
    }

    fn remember_reset(&mut self, id: StreamId) {
        if self.reset_streams.len() >= self.config.max_reset_streams {
            self.reset_streams.pop_front();
        }
        let expiry = self.now + self.config.reset_stream_expiry;
        self.reset_streams.push_back((id, expiry));
        if self.timers.get(Timer::ResetExpiry).is_none() {
            self.timers.set(Timer::ResetExpiry, expiry);
        }
    }

    fn was_reset(&self, id: StreamId) -> bool {
        self.reset_streams.iter().any(|(s, _)| *s == id)
    }

    fn arm_idle(&mut self) {
        if let (Some(idle), true) = (self.config.idle_timeout, self.streams.is_empty()) {
            self.timers.set(Timer::Idle, self.now + idle);
        }
    }

    fn send_go_away(&mut self, reason: Reason, debug_data: Bytes) {
        if reason == Reason::NO_ERROR {
            if self.go_away_at.is_some() {
                return;
            }
            self.go_away_at = Some(self.sent.base() + self.write_buf.len() as u64);
        }
        // RFC 9113 §6.8: last_stream_id is the last peer-initiated stream we
        // processed; a client that refuses pushes has processed none.
        GoAway { last_stream_id: StreamId::ZERO, error_code: reason, debug_data }.encode(&mut self.write_buf);
    }
}
