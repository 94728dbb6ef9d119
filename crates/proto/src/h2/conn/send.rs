//! Moving queued request bodies into DATA frames as flow control allows
//! (RFC 9113 §5.2, §6.1, §6.9), round-robin across streams.

use super::{Connection, MarkerKind, WRITE_HIGH_WATER};
use crate::h2::event::Event;
use crate::h2::fields::encode_trailers;
use crate::h2::frame::{self, Data, StreamId};
use crate::h2::stream::Input;
use crate::h2::timer::Timer;

/// What one turn of a stream produced.
enum Turn {
    /// Sent something; the stream may have more.
    Progress,
    /// Blocked on the stream's own window.
    StreamBlocked,
    /// Blocked on the connection window: stop packing.
    ConnectionBlocked,
    /// Nothing left to send.
    Done,
}

impl Connection {
    /// Encodes DATA (and trailers) frames until the write buffer reaches its
    /// high-water mark, the connection window closes, or nothing is left.
    /// Each ready stream sends at most one frame per turn, so one large body
    /// cannot starve the others.
    pub(super) fn pack_data(&mut self) {
        while self.write_buf.len() < WRITE_HIGH_WATER {
            let Some(id) = self.send_ready.pop_front() else { break };
            let Some(stream) = self.streams.get_mut(&id) else { continue };
            stream.in_ready = false;
            match self.send_turn(id) {
                Turn::Progress => self.mark_ready(id),
                Turn::StreamBlocked => self.note_stall(id),
                Turn::ConnectionBlocked => {
                    // Put it back first in line; a connection WINDOW_UPDATE
                    // will find it.
                    if let Some(s) = self.streams.get_mut(&id) {
                        s.in_ready = true;
                        self.send_ready.push_front(id);
                    }
                    break;
                }
                Turn::Done => {}
            }
        }
    }

    fn send_turn(&mut self, id: StreamId) -> Turn {
        let max_frame = self.peer.max_frame_size as usize;
        let conn_window = self.conn_send_window.available() as usize;
        let Some(stream) = self.streams.get_mut(&id) else { return Turn::Done };
        // A body held for `100 (Continue)` waits (`expect.rs`); a refused one
        // never goes.
        if !stream.state.can_send() || stream.held_until.is_some() || stream.body_refused {
            return Turn::Done;
        }
        if let Some(front) = stream.send_queue.front_mut() {
            let stream_window = stream.send_window.available() as usize;
            if stream_window == 0 {
                return Turn::StreamBlocked;
            }
            if conn_window == 0 {
                return Turn::ConnectionBlocked;
            }
            let n = front.len().min(stream_window).min(conn_window).min(max_frame);
            let chunk = front.split_to(n);
            if front.is_empty() {
                stream.send_queue.pop_front();
            }
            stream.send_buffered -= n;
            let end = stream.send_queue.is_empty() && stream.end_queued && stream.trailers.is_none();
            Data::encode_slice(&mut self.write_buf, id, &chunk, end);
            // Cannot fail: n is within both windows.
            let _ = stream.send_window.consume(n as u32);
            let _ = self.conn_send_window.consume(n as u32);
            stream.body_encoded += n as u64;
            stream.stalled_since = None;
            let total = stream.body_encoded;
            let drained = stream.send_queue.is_empty() && !stream.end_queued && stream.wants_writable;
            if drained {
                stream.wants_writable = false;
            }
            if end {
                self.finish_send(id);
            }
            self.push_marker(id, MarkerKind::Body { total, end });
            if drained {
                self.events.push_back(Event::Writable { stream_id: id });
            }
            return Turn::Progress;
        }
        if !stream.end_queued || stream.end_sent {
            return Turn::Done;
        }
        let total = stream.body_encoded;
        if let Some(trailers) = stream.trailers.take() {
            // RFC 9113 §8.1: trailers are one field block with END_STREAM.
            self.block_buf.clear();
            encode_trailers(&trailers, &mut self.hpack_encoder, &mut self.block_buf);
            frame::encode_field_block(&mut self.write_buf, id, &self.block_buf, true, max_frame as u32);
        } else {
            // The body ended after its last DATA frame went out: an empty
            // DATA frame carries END_STREAM (§6.1).
            Data::encode_slice(&mut self.write_buf, id, &[], true);
        }
        self.finish_send(id);
        self.push_marker(id, MarkerKind::Body { total, end: true });
        Turn::Done
    }

    /// END_STREAM was encoded for `id`: half-close (or close) our side.
    fn finish_send(&mut self, id: StreamId) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        stream.end_sent = true;
        // Cannot fail: can_send() was checked by the caller.
        let _ = stream.state.on(Input::SendData { end_stream: true });
        self.remove_if_closed(id);
    }

    fn note_stall(&mut self, id: StreamId) {
        let Some(timeout) = self.config.send_stall_timeout else { return };
        let Some(stream) = self.streams.get_mut(&id) else { return };
        if stream.stalled_since.is_none() {
            stream.stalled_since = Some(self.now);
            let at = self.now + timeout;
            if self.timers.get(Timer::SendStall).is_none_or(|t| t > at) {
                self.timers.set(Timer::SendStall, at);
            }
        }
    }

    /// A window grew: every stream with something to send gets another turn.
    pub(super) fn wake_senders(&mut self) {
        let ids: Vec<StreamId> =
            self.streams.values().filter(|s| s.has_pending_send() && !s.in_ready).map(|s| s.id).collect();
        for id in ids {
            if let Some(s) = self.streams.get_mut(&id) {
                s.stalled_since = None;
            }
            self.mark_ready(id);
        }
    }
}
