//! How streams and the connection end: stream errors, GOAWAY (RFC 9113
//! §6.8, DESIGN.md §3 rule 4), connection errors and transport loss.

use super::{Connection, ConnectionState};
use crate::h2::error::{CloseCause, FailureCause, StreamFailure};
use crate::h2::event::Event;
use crate::h2::frame::{GoAway, Reason, RstStream, StreamId};
use crate::h2::stream::{State, Stream};
use crate::h2::timer::Timer;
use crate::h2::violation::Violation;
use crate::{Phase, Processing};

impl Connection {
    /// The transport reached EOF. Every open stream fails with its own
    /// verdict (DESIGN.md §2: no GOAWAY proof means `MaybeProcessed` once
    /// the head was written).
    pub fn handle_eof(&mut self, now: std::time::Instant) {
        self.now = now;
        self.close(CloseCause::Eof);
    }

    /// The transport failed (connection reset, I/O error). Like
    /// [`Self::handle_eof`], with the driver's description of the error.
    pub fn handle_transport_error(&mut self, error: String, now: std::time::Instant) {
        self.now = now;
        self.close(CloseCause::Transport(error));
    }

    /// Builds the failure record for a stream leaving with `cause`.
    ///
    /// `live` when the connection goes on: a head still queued will then
    /// reach the server after all, behind the frames queued before it. It
    /// cannot be taken out of the middle of the queue, since the HEADERS
    /// queued after it were compressed against the dynamic table it
    /// changed (RFC 7541 §2.3.2). So it is judged as written: a refusal
    /// makes it `NotProcessed`, anything else `MaybeProcessed`. On a closing
    /// connection the queue is withdrawn instead, and it was not sent.
    fn failure(&self, stream: &Stream, cause: FailureCause, peer_refused: bool, live: bool) -> StreamFailure {
        let judged = match stream.phase {
            Phase::HeadersQueued if live => Phase::HeadersWritten,
            phase => phase,
        };
        StreamFailure {
            stream_id: stream.id,
            cause,
            phase: stream.phase,
            body_sent: stream.body_written,
            body_received: stream.body_received,
            go_away: self.last_go_away.clone(),
            processing: Processing::classify(judged, peer_refused),
        }
    }

    /// Removes `id` and reports it failed.
    pub(super) fn fail_stream(&mut self, id: StreamId, cause: FailureCause, peer_refused: bool) {
        if let Some(stream) = self.streams.remove(&id) {
            // A stream whose response is complete already had its one
            // terminal event (`StreamEnded`); only its request side is cut.
            if stream.phase != Phase::Complete {
                let failure = self.failure(&stream, cause, peer_refused, true);
                self.events.push_back(Event::StreamFailed(failure));
            }
            self.after_stream_removed();
        }
    }

    /// RFC 9113 §5.4.2: a stream error. On a stream we hold, we send
    /// RST_STREAM with the violation's code, forget the stream, and ignore
    /// what the peer still sends on it.
    ///
    /// On any other stream RST_STREAM is not ours to send: §6.4 forbids it
    /// for an idle stream ("RST_STREAM frames MUST NOT be sent for a stream
    /// in the idle state"; the server would treat it as a connection error,
    /// and the id would be reused by our next request, §5.1.1), and §5.1
    /// for a closed one ("An endpoint MUST NOT send frames other than
    /// PRIORITY on a closed stream"). A stream we reset ourselves may still
    /// see frames the server sent before our reset reached it: those are
    /// ignored. Otherwise the error becomes a connection error, which §5.4.1
    /// always allows ("an endpoint MAY choose to treat a stream error as a
    /// connection error"), with the same code.
    pub(super) fn stream_error(&mut self, id: StreamId, violation: Violation) {
        if self.streams.contains_key(&id) {
            RstStream { stream_id: id, reason: violation.reason() }.encode(&mut self.write_buf);
            self.remember_reset(id);
            self.fail_stream(id, FailureCause::Violation(violation), false);
        } else if !self.was_reset(id) {
            self.connection_error(violation);
        }
    }

    /// Removes a stream whose both sides have ended.
    pub(super) fn remove_if_closed(&mut self, id: StreamId) {
        if self.streams.get(&id).is_some_and(|s| s.state == State::Closed) {
            self.streams.remove(&id);
            self.after_stream_removed();
        }
    }

    /// Bookkeeping after any stream leaves: a draining connection with no
    /// streams left is done; an open one starts its idle timer.
    pub(super) fn after_stream_removed(&mut self) {
        if !self.streams.is_empty() {
            return;
        }
        match self.state {
            ConnectionState::Draining => self.close(CloseCause::Drained),
            ConnectionState::Open => {
                self.arm_idle();
                // No stream left to watch over (unless pinging while idle).
                self.arm_keepalive();
            }
            ConnectionState::Closed => {}
        }
    }

    /// RFC 9113 §6.8 and DESIGN.md §3 rule 4.
    ///
    /// - The first GOAWAY moves the connection to `Draining`: no new streams.
    /// - Streams above `last_stream_id` were not processed and never will be:
    ///   each fails now as `NotProcessed` (a head still queued goes out
    ///   after all, and the server ignores it). Streams at or below it go on
    ///   and may complete.
    /// - A later GOAWAY may lower `last_stream_id` (the double GOAWAY of a
    ///   graceful shutdown: first 2^31-1, then the real value) and fails the
    ///   streams in (new, old]; raising it is a PROTOCOL_ERROR ("Endpoints
    ///   MUST NOT increase the value they send in the last stream
    ///   identifier").
    /// - 0 is a real value: nothing was processed.
    pub(super) fn recv_go_away(&mut self, info: GoAway) {
        if let Some(prev) = &self.last_go_away {
            if info.last_stream_id > prev.last_stream_id {
                let raised = Violation::GoAwayRaisedLastStreamId {
                    previous: prev.last_stream_id,
                    raised_to: info.last_stream_id,
                };
                return self.connection_error(raised);
            }
        }
        self.go_aways_received += 1;
        self.last_go_away = Some(info.clone());
        if self.state == ConnectionState::Open {
            self.state = ConnectionState::Draining;
            self.timers.stop(Timer::Idle);
        }
        self.events.push_back(Event::GoAwayReceived(info.clone()));
        let mut refused: Vec<StreamId> =
            self.streams.keys().copied().filter(|id| *id > info.last_stream_id).collect();
        refused.sort_unstable();
        for id in refused {
            self.remember_reset(id);
            self.fail_stream(id, FailureCause::GoAway(info.clone()), true);
        }
        if self.streams.is_empty() && self.state == ConnectionState::Draining {
            self.close(CloseCause::Drained);
        }
    }

    /// RFC 9113 §5.4.1: a connection error. GOAWAY with the violation's
    /// code and its text as debug data, then close.
    pub(super) fn connection_error(&mut self, violation: Violation) {
        let reason = violation.reason();
        let debug_data = bytes::Bytes::from(violation.to_string());
        self.close_with(CloseCause::Violation(violation), reason, debug_data);
    }

    /// Closes with a GOAWAY carrying `reason` and `debug_data`.
    pub(super) fn close_with(&mut self, cause: CloseCause, reason: Reason, debug_data: bytes::Bytes) {
        if self.state == ConnectionState::Closed {
            return;
        }
        // Closed first, which withdraws what was not yet written; the
        // GOAWAY follows what is left.
        self.close(cause);
        self.send_go_away(reason, debug_data);
    }

    /// Ends the connection: every open stream fails (in id order, so the
    /// events are deterministic), then `Event::Closed`.
    pub(super) fn close(&mut self, cause: CloseCause) {
        if self.state == ConnectionState::Closed {
            return;
        }
        self.state = ConnectionState::Closed;
        self.close_cause = Some(cause.clone());
        self.withdraw_unwritten();
        let mut ids: Vec<StreamId> = self.streams.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            if let Some(stream) = self.streams.remove(&id).filter(|s| s.phase != Phase::Complete) {
                let refused = self.last_go_away.as_ref().is_some_and(|g| id > g.last_stream_id);
                let failure =
                    self.failure(&stream, FailureCause::ConnectionClosed(cause.clone()), refused, false);
                self.events.push_back(Event::StreamFailed(failure));
            }
        }
        self.send_ready.clear();
        self.markers.clear();
        self.read_buf.clear();
        self.partial_block = None;
        for t in Timer::ALL {
            self.timers.stop(t);
        }
        self.events.push_back(Event::Closed(cause));
    }

    /// Nothing queued after the frame in progress goes out once the
    /// connection is closed with a request head not yet written: the
    /// streams are about to be failed by what was written, and one failed
    /// as not sent may be retried on another connection, so its HEADERS
    /// must never reach this server too. The frame in progress is finished
    /// (its stream counts as written: the server may see it whole), and a
    /// graceful GOAWAY of ours that was withdrawn is queued again. See
    /// `frame_bounds`.
    fn withdraw_unwritten(&mut self) {
        // Only a head that did not leave needs it; otherwise what is queued
        // (a SETTINGS ACK, say) goes out as usual.
        if self.streams.values().all(|s| s.phase.head_sent()) {
            return;
        }
        let cut = self.bounds.cut_point();
        self.sent.withdraw_from(&mut self.write_buf, cut);
        self.bounds.withdrawn(cut);
        self.pass_markers(cut);
        if self.go_away_at.is_some_and(|at| at >= cut) {
            self.go_away_at = None;
            self.send_go_away(Reason::NO_ERROR, bytes::Bytes::new());
        }
    }
}
