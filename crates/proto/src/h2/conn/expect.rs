//! `Expect: 100-continue` (RFC 9110 §10.1.1): a stream whose body is held
//! until the server answers the expectation, with its wait in the
//! connection's timer table.
//!
//! A held stream's body may be queued with `send_data` but is not framed.
//! The server's `100 (Continue)` or a 2xx final status lets it go (RFC 9113
//! §8.1: the server may read the body on after a complete response); any
//! other final status means the body is never sent, and the stream is reset
//! with CANCEL once the response is complete (ending our side without
//! cutting the response, which is whole). A server that never answers (most
//! HTTP/2 servers ignore the expectation) gets the body after
//! `Config::continue_wait`, with an [`Event::ContinueTimeout`] so the
//! caller can stop asking that server.

use std::time::Instant;

use http::StatusCode;

use super::Connection;
use crate::h2::event::Event;
use crate::h2::frame::{Reason, RstStream, StreamId};
use crate::h2::stream::Input;
use crate::h2::timer::Timer;

impl Connection {
    /// Holds the body of stream `id`, just opened with
    /// [`Self::send_request`] (without END_STREAM), until the server answers
    /// `Expect: 100-continue` or `Config::continue_wait` passes. Call it
    /// before the next [`Self::poll_event`]: the stream's first
    /// [`Event::Writable`] then comes only when the body may go. Does
    /// nothing for an unknown stream or one whose request side has ended.
    pub fn hold_body(&mut self, id: StreamId, now: Instant) {
        self.now = now;
        let until = now + self.config.continue_wait;
        let Some(stream) = self.streams.get_mut(&id) else { return };
        if !stream.state.can_send() || stream.end_sent {
            return;
        }
        stream.held_until = Some(until);
        self.events.retain(|e| !matches!(e, Event::Writable { stream_id } if *stream_id == id));
        if self.timers.get(Timer::ContinueWait).is_none_or(|at| at > until) {
            self.timers.set(Timer::ContinueWait, until);
        }
    }

    /// The server answered a held stream's expectation with `status` (a
    /// `100 (Continue)` or the final status).
    pub(super) fn answer_held(&mut self, id: StreamId, status: StatusCode) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        if stream.held_until.is_none() {
            return;
        }
        if status == StatusCode::CONTINUE || status.is_success() {
            return self.release_held(id);
        }
        if status.is_informational() {
            // Another 1xx (103 Early Hints, say) answers nothing.
            return;
        }
        stream.held_until = None;
        stream.body_refused = true;
        stream.send_queue.clear();
        stream.send_buffered = 0;
        stream.trailers = None;
        stream.wants_writable = false;
    }

    /// Lets a held body go: what was queued is framed, and the producer is
    /// told it may send.
    fn release_held(&mut self, id: StreamId) {
        let Some(stream) = self.streams.get_mut(&id) else { return };
        stream.held_until = None;
        let more = !stream.end_queued;
        let pending = stream.has_pending_send();
        if more {
            self.events.push_back(Event::Writable { stream_id: id });
        }
        if pending {
            self.mark_ready(id);
        }
    }

    /// The response to a stream whose body was refused is complete: reset
    /// our side (CANCEL) so the server stops waiting for a body that will
    /// never come. Returns whether it did.
    pub(super) fn reset_refused(&mut self, id: StreamId) -> bool {
        if !self.streams.get(&id).is_some_and(|s| s.body_refused) {
            return false;
        }
        let Some(mut stream) = self.streams.remove(&id) else { return false };
        let _ = stream.state.on(Input::SendReset);
        RstStream { stream_id: id, reason: Reason::CANCEL }.encode(&mut self.write_buf);
        self.remember_reset(id);
        self.after_stream_removed();
        true
    }

    /// Sends the held bodies whose wait is over, and re-arms the timer for
    /// the next one.
    pub(super) fn expire_holds(&mut self, now: Instant) {
        self.timers.stop(Timer::ContinueWait);
        let mut due: Vec<StreamId> = Vec::new();
        let mut next: Option<Instant> = None;
        for s in self.streams.values() {
            match s.held_until {
                Some(at) if at <= now => due.push(s.id),
                Some(at) => next = Some(next.map_or(at, |n| n.min(at))),
                None => {}
            }
        }
        due.sort_unstable();
        for id in due {
            self.events.push_back(Event::ContinueTimeout { stream_id: id });
            self.release_held(id);
        }
        if let Some(at) = next {
            self.timers.set(Timer::ContinueWait, at);
        }
    }
}
