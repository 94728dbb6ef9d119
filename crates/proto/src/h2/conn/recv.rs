//! Handling what the server sends: frame dispatch and every receive-side
//! rule of RFC 9113 §5, §6 and §8.

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::{Connection, ConnectionState, MAX_ENCODER_TABLE, PartialBlock};
use crate::Phase;
use crate::h2::error::FailureCause;
use crate::h2::event::{Event, ResponseHead};
use crate::h2::fields::ResponseFields;
use crate::h2::frame::{
    Continuation, Data, Frame, FrameError, Headers, Ping, Reason, RstStream, Settings, StreamId, WindowUpdate,
};
use crate::h2::hpack::DecodeError;
use crate::h2::stream::{Input, RecvPhase};
use crate::h2::timer::Timer;
use crate::h2::violation::Violation;

/// What a frame for a stream id we do not hold means (RFC 9113 §5.1).
enum Unknown {
    /// Idle (never opened by us) or server-initiated: the frame is illegal.
    Idle,
    /// We closed or reset it; late frames are expected.
    Closed { was_reset: bool },
}

impl Connection {
    /// Bytes from the transport. They are appended to the read buffer and
    /// every complete frame is processed.
    pub fn handle_read(&mut self, data: &[u8], now: Instant) {
        if self.state == ConnectionState::Closed {
            return;
        }
        self.read_buf.extend_from_slice(data);
        self.handle_received(now);
    }

    /// The read buffer, for drivers that read straight into it; call
    /// [`Self::handle_received`] afterwards.
    pub fn recv_buf(&mut self) -> &mut BytesMut {
        &mut self.read_buf
    }

    /// Processes every complete frame in the read buffer.
    pub fn handle_received(&mut self, now: Instant) {
        self.now = now;
        self.keepalive_heard();
        // RFC 9113 §3.4: the server's preface is a SETTINGS frame. A server
        // that answers in HTTP/1.x (h2c prior knowledge to a server that
        // does not speak it) would otherwise read as a frame of some
        // megabytes ("HTT" as its length): say what happened instead.
        if !self.got_peer_settings && self.read_buf.starts_with(b"HTTP/1.") {
            return self.connection_error(Violation::AnsweredInHttp1);
        }
        while self.state != ConnectionState::Closed {
            match self.frame_decoder.decode(&mut self.read_buf) {
                Ok(Some(frame)) => self.recv_frame(frame),
                Ok(None) => break,
                // §5.3.1 makes this a stream error, but §4.3 still needs the
                // field block decoded to keep HPACK in step.
                Err(FrameError::SelfDependentHeaders { frame }) => self.recv_frame_checked(*frame, true),
                Err(e) => self.frame_error(e),
            }
        }
    }

    fn frame_error(&mut self, e: FrameError) {
        match e.stream_id() {
            Some(id) => self.stream_error(id, Violation::Frame(e)),
            None => self.connection_error(Violation::Frame(e)),
        }
    }

    fn recv_frame_checked(&mut self, headers: Headers, self_dependent: bool) {
        if self.partial_block.is_some() || !self.got_peer_settings {
            return self.recv_frame(Frame::Headers(headers));
        }
        self.control_frames_in_a_row = 0;
        self.keepalive_data();
        self.recv_headers(headers, self_dependent);
    }

    fn recv_frame(&mut self, frame: Frame) {
        // RFC 9113 §3.4: the server's preface is a SETTINGS frame, first.
        if !self.got_peer_settings && !matches!(&frame, Frame::Settings(s) if !s.ack) {
            return self.connection_error(Violation::FirstFrameNotSettings);
        }
        // §6.10: a field block is contiguous; anything else in between is a
        // PROTOCOL_ERROR.
        if let Some(partial) = &self.partial_block {
            let id = partial.stream_id;
            match frame {
                Frame::Continuation(c) if c.stream_id == id => return self.recv_continuation(c),
                _ => return self.connection_error(Violation::InterleavedFieldBlock),
            }
        }
        let progress = match &frame {
            Frame::Headers(_) => true,
            Frame::Data(d) => !d.data.is_empty() || d.end_stream,
            _ => false,
        };
        if progress {
            self.control_frames_in_a_row = 0;
            self.keepalive_data();
        } else {
            self.control_frames_in_a_row += 1;
            if self.control_frames_in_a_row > self.config.max_control_frames_in_a_row {
                return self.connection_error(Violation::ControlFrameFlood);
            }
        }
        match frame {
            Frame::Data(d) => self.recv_data(d),
            Frame::Headers(h) => self.recv_headers(h, false),
            Frame::Continuation(_) => self.connection_error(Violation::OrphanContinuation),
            Frame::Priority(p) => {
                // §5.3.2: priority signals are parsed and ignored.
                if let Some(stream) = self.streams.get_mut(&p.stream_id) {
                    let _ = stream.state.on(Input::RecvPriority);
                }
            }
            // §4.1, §5.5: unknown frame types are ignored.
            Frame::Unknown(_) => {}
            Frame::RstStream(r) => self.recv_reset(r),
            Frame::Settings(s) => self.recv_settings(s),
            // §6.6 / §8.4: we sent ENABLE_PUSH=0, so PUSH_PROMISE is a
            // connection error of type PROTOCOL_ERROR.
            Frame::PushPromise(_) => self.connection_error(Violation::PushPromise),
            Frame::Ping(p) => self.recv_ping(p),
            Frame::GoAway(g) => self.recv_go_away(g),
            Frame::WindowUpdate(w) => self.recv_window_update(w),
        }
    }

    /// Whether an answer the server's frame demands may be queued. RFC 9113
    /// §10.5: "An endpoint that doesn't monitor use of these features
    /// exposes itself to a risk of denial of service" — a peer that sends
    /// PING or SETTINGS faster than it reads the ACKs makes us buffer them
    /// without bound. §7: ENHANCE_YOUR_CALM, "the peer is exhibiting a
    /// behavior that might be generating excessive load".
    fn may_queue_answer(&mut self) -> bool {
        // Taken by the driver or still buffered: all of it is unwritten.
        if self.sent.unconfirmed(self.write_buf.len()) <= self.config.max_write_backlog {
            return true;
        }
        self.connection_error(Violation::AnswersNotRead);
        false
    }

    fn classify_unknown(&self, id: StreamId) -> Unknown {
        // §5.1.1: servers cannot initiate odd streams, and we accept no
        // pushed (even) streams; ids above the highest we opened are idle.
        if !id.is_client_initiated() || id > self.highest_opened {
            Unknown::Idle
        } else {
            Unknown::Closed { was_reset: self.was_reset(id) }
        }
    }

    // ----- DATA --------------------------------------------------------------

    fn recv_data(&mut self, d: Data) {
        let flow_len = d.flow_controlled_len();
        // §6.9.1: DATA counts against the connection window whatever stream
        // it is for.
        if self.conn_recv_window.recv(flow_len).is_err() {
            return self.connection_error(Violation::ConnectionWindowExceeded);
        }
        let Some(stream) = self.streams.get_mut(&d.stream_id) else {
            // Never delivered, so released at once.
            self.release_connection(flow_len);
            return match self.classify_unknown(d.stream_id) {
                Unknown::Idle => self.connection_error(Violation::DataOnIdleStream),
                Unknown::Closed { was_reset: true } => {}
                // §5.1 closed: "An endpoint that receives any frames after
                // receiving a frame with the END_STREAM flag set MUST treat
                // that as a connection error (Section 5.4.1) of type
                // STREAM_CLOSED" (and no RST_STREAM may go on a closed stream).
                Unknown::Closed { was_reset: false } => {
                    self.connection_error(Violation::FrameAfterEndStream {
                        frame: "DATA",
                        reason: Reason::STREAM_CLOSED,
                    })
                }
            };
        };
        let id = d.stream_id;
        if stream.recv_window.recv(flow_len).is_err() {
            self.release_connection(flow_len);
            return self.stream_error(id, Violation::StreamWindowExceeded);
        }
        if let Err(reason) = stream.state.on(Input::RecvData { end_stream: d.end_stream }) {
            self.release_connection(flow_len);
            return self.stream_error(id, Violation::FrameAfterEndStream { frame: "DATA", reason });
        }
        if stream.recv_phase != RecvPhase::Body {
            // §8.1: DATA before the final head, or after trailers.
            self.release_connection(flow_len);
            return self.stream_error(id, Violation::DataOutsideBody);
        }
        stream.body_received += d.data.len() as u64;
        let received = stream.body_received;
        if stream.content_length.is_some_and(|cl| received > cl) {
            self.release_connection(flow_len);
            return self.stream_error(id, Violation::ContentLengthExceeded);
        }
        stream.advance(Phase::ResponseBody(received));
        let padding = flow_len - d.data.len() as u32;
        if padding > 0 {
            // Padding is never delivered, so it is released here (§6.1).
            self.release_capacity(id, padding as usize);
        }
        if !d.data.is_empty() {
            self.events.push_back(Event::DataReceived { stream_id: id, data: d.data });
        }
        if d.end_stream {
            self.complete_response(id);
        }
    }

    pub(super) fn release_connection(&mut self, n: u32) {
        if let Some(inc) = self.conn_recv_window.release(n) {
            WindowUpdate { stream_id: StreamId::ZERO, increment: inc }.encode(&mut self.write_buf);
        }
    }

    /// END_STREAM arrived: check content-length (§8.1.1) and report.
    fn complete_response(&mut self, id: StreamId) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        if stream.content_length.is_some_and(|cl| cl != stream.body_received) {
            return self.stream_error(id, Violation::ContentLengthShort);
        }
        stream.advance(Phase::Complete);
        stream.recv_phase = RecvPhase::Trailers;
        // §8.1: a complete response lets the request side stop; whatever is
        // still queued goes out unless the server resets with NO_ERROR.
        self.events.push_back(Event::StreamEnded { stream_id: id });
        if !self.reset_refused(id) {
            self.remove_if_closed(id);
        }
    }

    // ----- HEADERS / CONTINUATION -------------------------------------------

    fn recv_headers(&mut self, h: Headers, self_dependent: bool) {
        if h.end_headers {
            return self.recv_field_block(h.stream_id, h.end_stream, h.fragment, self_dependent);
        }
        let mut fragments = BytesMut::with_capacity(h.fragment.len() * 2);
        fragments.extend_from_slice(&h.fragment);
        self.partial_block = Some(PartialBlock {
            stream_id: h.stream_id,
            end_stream: h.end_stream,
            fragments,
            frames: 0,
            self_dependent,
        });
    }

    fn recv_continuation(&mut self, c: Continuation) {
        let max_frames = self.config.max_continuation_frames;
        // A compressed block never needs to be much larger than the decoded
        // list it carries; this bound stops a CONTINUATION flood early.
        let max_bytes = self.config.max_header_list_size as usize + 16_384;
        let Some(partial) = self.partial_block.as_mut() else { return };
        partial.frames += 1;
        if partial.frames > max_frames || partial.fragments.len() + c.fragment.len() > max_bytes {
            return self.connection_error(Violation::FieldBlockTooLarge);
        }
        partial.fragments.extend_from_slice(&c.fragment);
        if c.end_headers {
            if let Some(p) = self.partial_block.take() {
                self.recv_field_block(p.stream_id, p.end_stream, p.fragments.freeze(), p.self_dependent);
            }
        }
    }

    /// A complete field block. It is always HPACK-decoded, even for a stream
    /// we no longer track, because the decoder's table must stay in step with
    /// the server's encoder (RFC 9113 §4.3).
    fn recv_field_block(&mut self, id: StreamId, end_stream: bool, block: Bytes, self_dependent: bool) {
        let is_trailers = self.streams.get(&id).is_some_and(|s| s.recv_phase == RecvPhase::Body);
        let mut fields = if is_trailers { ResponseFields::trailers() } else { ResponseFields::head() };
        let known = &mut self.known_fields;
        let decoded = self.hpack_decoder.decode(&block, |f| fields.push(f, known));
        let too_large = match decoded {
            Ok(()) => false,
            Err(DecodeError::HeaderListTooLarge { .. }) => true,
            Err(e) => {
                // §4.3: a decoding error is a COMPRESSION_ERROR connection error.
                return self.connection_error(Violation::Compression(e));
            }
        };
        if !self.streams.contains_key(&id) {
            return match self.classify_unknown(id) {
                Unknown::Idle => self.connection_error(Violation::HeadersOnIdleStream),
                Unknown::Closed { was_reset: true } => {}
                // §5.1 closed, as for DATA above.
                Unknown::Closed { was_reset: false } => {
                    self.connection_error(Violation::FrameAfterEndStream {
                        frame: "HEADERS",
                        reason: Reason::STREAM_CLOSED,
                    })
                }
            };
        }
        if self_dependent {
            return self.stream_error(id, Violation::SelfDependentHeaders);
        }
        if too_large {
            // §10.5.1: we may refuse a field list over our advertised limit;
            // the server did nothing illegal, so the stream is cancelled.
            return self.stream_error(id, Violation::ResponseHeadersTooLarge);
        }
        let Some(stream) = self.streams.get_mut(&id) else { return };
        if let Err(reason) = stream.state.on(Input::RecvHeaders { end_stream }) {
            return self.stream_error(id, Violation::FrameAfterEndStream { frame: "HEADERS", reason });
        }
        if is_trailers {
            return self.recv_trailers(id, end_stream, fields);
        }
        let status = match fields.finish_head() {
            Ok(s) => s,
            Err(why) => return self.stream_error(id, Violation::MalformedResponse(why)),
        };
        let content_length = fields.content_length();
        let head = ResponseHead { status, headers: std::mem::take(&mut fields.headers) };
        if status.is_informational() {
            // §8.1: 1xx heads never end the stream; §8.6: 101 is not allowed.
            if end_stream {
                return self.stream_error(id, Violation::InformationalEndStream);
            }
            if status == http::StatusCode::SWITCHING_PROTOCOLS {
                return self.stream_error(id, Violation::SwitchingProtocols);
            }
            self.events.push_back(Event::InformationalReceived { stream_id: id, head });
            return self.answer_held(id, status);
        }
        let content_length = match content_length {
            Ok(cl) => cl,
            Err(why) => return self.stream_error(id, Violation::MalformedResponse(why)),
        };
        // RFC 9110 §6.4.1: HEAD responses, 204 and 304 carry no content,
        // whatever content-length says.
        let no_body = stream.head_request
            || status == http::StatusCode::NO_CONTENT
            || status == http::StatusCode::NOT_MODIFIED;
        stream.content_length = if no_body { Some(0) } else { content_length };
        stream.recv_phase = RecvPhase::Body;
        stream.advance(Phase::ResponseHead);
        self.events.push_back(Event::ResponseReceived { stream_id: id, head });
        self.answer_held(id, status);
        if end_stream {
            self.complete_response(id);
        }
    }

    fn recv_trailers(&mut self, id: StreamId, end_stream: bool, fields: ResponseFields) {
        // §8.1: trailers carry END_STREAM and no pseudo-headers.
        if !end_stream {
            return self.stream_error(id, Violation::TrailersWithoutEndStream);
        }
        if let Some(why) = fields.malformed {
            return self.stream_error(id, Violation::MalformedResponse(why));
        }
        self.events.push_back(Event::TrailersReceived { stream_id: id, trailers: fields.headers });
        self.complete_response(id);
    }

    // ----- RST_STREAM ----------------------------------------------------------

    fn recv_reset(&mut self, r: RstStream) {
        let Some(stream) = self.streams.get_mut(&r.stream_id) else {
            // §6.4: RST_STREAM on an idle stream is a PROTOCOL_ERROR.
            if let Unknown::Idle = self.classify_unknown(r.stream_id) {
                self.connection_error(Violation::ResetOnIdleStream);
            }
            return;
        };
        let _ = stream.state.on(Input::RecvReset);
        // §8.1: after a complete response, RST_STREAM (NO_ERROR, or any
        // code) only stops the request side; `fail_stream` reports nothing
        // for a stream that already ended.
        // §8.7: REFUSED_STREAM proves the request was not processed.
        let refused = r.reason == Reason::REFUSED_STREAM;
        let cause = FailureCause::Reset(r.reason);
        self.remember_reset(r.stream_id);
        self.fail_stream(r.stream_id, cause, refused);
    }

    // ----- SETTINGS --------------------------------------------------------------

    fn recv_settings(&mut self, s: Settings) {
        if s.ack {
            self.settings_acks_pending = self.settings_acks_pending.saturating_sub(1);
            if self.settings_acks_pending == 0 {
                self.timers.stop(Timer::SettingsAck);
                if let Some(size) = self.decoder_table_on_ack.take() {
                    self.hpack_decoder.set_max_table_size(size as usize);
                }
            }
            return;
        }
        if !self.may_queue_answer() {
            return;
        }
        self.got_peer_settings = true;
        // §6.5.2: "A client MUST treat receipt of a SETTINGS frame with
        // SETTINGS_ENABLE_PUSH set to 1 as a connection error".
        if s.enable_push == Some(1) {
            return self.connection_error(Violation::EnablePush);
        }
        if let Some(size) = s.header_table_size {
            self.hpack_encoder.set_max_table_size(size.min(MAX_ENCODER_TABLE) as usize);
        }
        if let Some(max) = s.max_concurrent_streams {
            self.peer.max_concurrent_streams = max;
        }
        if let Some(size) = s.max_frame_size {
            self.peer.max_frame_size = size;
        }
        if let Some(size) = s.max_header_list_size {
            self.peer.max_header_list_size = Some(size);
        }
        if let Some(size) = s.initial_window_size {
            // §6.9.2: the change applies to every open stream's send window,
            // which may go negative; past 2^31-1 it is a FLOW_CONTROL_ERROR.
            let delta = i64::from(size) - i64::from(self.peer.initial_window_size);
            self.peer.initial_window_size = size;
            let overflow = self.streams.values_mut().any(|st| st.send_window.grow(delta).is_err());
            if overflow {
                return self.connection_error(Violation::InitialWindowOverflow);
            }
            if delta > 0 {
                self.wake_senders();
            }
        }
        // §6.5.3: acknowledge once applied.
        Settings::ack().encode(&mut self.write_buf);
        self.events
            .push_back(Event::SettingsChanged { max_concurrent_streams: self.peer.max_concurrent_streams });
    }

    // ----- PING ------------------------------------------------------------------

    fn recv_ping(&mut self, p: Ping) {
        if !p.ack {
            if !self.may_queue_answer() {
                return;
            }
            // §6.7: reply with the same payload, ACK set.
            return Ping { ack: true, payload: p.payload }.encode(&mut self.write_buf);
        }
        if self.keepalive_acked(p.payload) {
            return;
        }
        self.events.push_back(Event::PingAck { payload: p.payload });
    }

    // ----- WINDOW_UPDATE ---------------------------------------------------------

    fn recv_window_update(&mut self, w: WindowUpdate) {
        let inc = i64::from(w.increment);
        if w.stream_id.is_zero() {
            if self.conn_send_window.grow(inc).is_err() {
                return self.connection_error(Violation::ConnectionWindowOverflow);
            }
            return self.wake_senders();
        }
        let Some(stream) = self.streams.get_mut(&w.stream_id) else {
            if let Unknown::Idle = self.classify_unknown(w.stream_id) {
                self.connection_error(Violation::WindowUpdateOnIdleStream);
            }
            return;
        };
        // Legal in every state we keep a stream in (§5.1).
        let _ = stream.state.on(Input::RecvWindowUpdate);
        if stream.send_window.grow(inc).is_err() {
            // §6.9.1: a stream window overflow is a stream error.
            return self.stream_error(w.stream_id, Violation::StreamWindowOverflow);
        }
        if stream.has_pending_send() {
            stream.stalled_since = None;
            self.mark_ready(w.stream_id);
        }
    }
}
