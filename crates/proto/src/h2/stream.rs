//! Per-stream state (RFC 9113 §5.1), seen from a client that never accepts
//! pushed streams.
//!
//! ```text
//!                          +--------+
//!                  send H  |        |
//!                ,---------|  idle  |
//!               /          |        |
//!              v           +--------+
//!         +----------+
//!         |          |
//!         |   open   |  send ES: half-closed (local)
//!         |          |  recv ES: half-closed (remote)
//!         +----------+
//!   half-closed (local)  --recv ES / R-->  closed
//!   half-closed (remote) --send ES / R-->  closed
//!
//!    H:  HEADERS frame (with implied CONTINUATION frames)
//!    ES: END_STREAM flag
//!    R:  RST_STREAM frame
//! ```
//!
//! Every legal (state, input) pair is listed in [`State::on`]; anything else
//! is an error carrying the code RFC 9113 §5.1 names for it.

use bytes::Bytes;
use std::collections::VecDeque;

use http::HeaderMap;

use super::flow::{RecvWindow, Window};
use super::frame::{Reason, StreamId};
use crate::Phase;

/// A stream's position in the RFC 9113 §5.1 life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Idle,
    Open,
    HalfClosedLocal,
    HalfClosedRemote,
    Closed,
}

/// What can happen to a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    SendHeaders { end_stream: bool },
    SendData { end_stream: bool },
    RecvHeaders { end_stream: bool },
    RecvData { end_stream: bool },
    SendReset,
    RecvReset,
    RecvWindowUpdate,
    RecvPriority,
}

impl State {
    /// Every state, for exhaustive tests.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 5] =
        [Self::Idle, Self::Open, Self::HalfClosedLocal, Self::HalfClosedRemote, Self::Closed];

    /// Applies `input`. On an illegal pair the stream moves to `Closed` and
    /// the error code RFC 9113 §5.1 names is returned (STREAM_CLOSED for
    /// frames after the peer ended its side, PROTOCOL_ERROR otherwise).
    pub(crate) fn on(&mut self, input: Input) -> Result<(), Reason> {
        use Input::*;
        use State::*;
        let next = match (*self, input) {
            (Idle, SendHeaders { end_stream: false }) => Open,
            (Idle, SendHeaders { end_stream: true }) => HalfClosedLocal,
            // §5.1 idle: PRIORITY may arrive on an idle stream.
            (Idle, RecvPriority) => Idle,
            (Open, SendData { end_stream: false } | SendHeaders { end_stream: false }) => Open,
            (Open, SendData { end_stream: true } | SendHeaders { end_stream: true }) => HalfClosedLocal,
            (Open, RecvHeaders { end_stream: false } | RecvData { end_stream: false }) => Open,
            (Open, RecvHeaders { end_stream: true } | RecvData { end_stream: true }) => HalfClosedRemote,
            (Open | HalfClosedLocal | HalfClosedRemote, RecvWindowUpdate | RecvPriority) => *self,
            (HalfClosedLocal, RecvHeaders { end_stream: false } | RecvData { end_stream: false }) => {
                HalfClosedLocal
            }
            (HalfClosedLocal, RecvHeaders { end_stream: true } | RecvData { end_stream: true }) => Closed,
            (HalfClosedRemote, SendData { end_stream: false } | SendHeaders { end_stream: false }) => {
                HalfClosedRemote
            }
            (HalfClosedRemote, SendData { end_stream: true } | SendHeaders { end_stream: true }) => Closed,
            (Open | HalfClosedLocal | HalfClosedRemote, SendReset | RecvReset) => Closed,
            // §5.1 closed: WINDOW_UPDATE, RST_STREAM and PRIORITY can still
            // arrive for a short while; they are ignored.
            (Closed, RecvWindowUpdate | RecvReset | RecvPriority) => Closed,
            // §5.1 half-closed (remote) and closed: frames other than
            // WINDOW_UPDATE, PRIORITY and RST_STREAM are STREAM_CLOSED.
            (HalfClosedRemote | Closed, RecvHeaders { .. } | RecvData { .. }) => {
                *self = Closed;
                return Err(Reason::STREAM_CLOSED);
            }
            _ => {
                *self = Closed;
                return Err(Reason::PROTOCOL_ERROR);
            }
        };
        *self = next;
        Ok(())
    }

    /// True when we may still send on the stream.
    pub(crate) fn can_send(self) -> bool {
        matches!(self, Self::Open | Self::HalfClosedRemote)
    }
}

/// How far the response has come, for the RFC 9113 §8.1 frame sequence
/// (1xx heads, one final head, DATA, optional trailers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecvPhase {
    AwaitingHead,
    Body,
    Trailers,
}

/// One open stream: its state, windows, send queue and journal.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) id: StreamId,
    pub(crate) state: State,
    pub(crate) phase: Phase,
    pub(crate) recv_phase: RecvPhase,
    pub(crate) send_window: Window,
    pub(crate) recv_window: RecvWindow,
    /// Body chunks waiting for window; front chunk partly sent from `front_offset`.
    pub(crate) send_queue: VecDeque<Bytes>,
    pub(crate) send_buffered: usize,
    /// The application ended the body (END_STREAM still to be written when
    /// `send_queue` is non-empty or trailers wait).
    pub(crate) end_queued: bool,
    pub(crate) trailers: Option<HeaderMap>,
    /// END_STREAM has been encoded into the write buffer.
    pub(crate) end_sent: bool,
    /// Body bytes encoded into the write buffer / confirmed written.
    pub(crate) body_encoded: u64,
    pub(crate) body_written: u64,
    pub(crate) body_received: u64,
    /// Content-length of the response, checked against DATA (§8.1.1).
    pub(crate) content_length: Option<u64>,
    /// The request was HEAD: the response has no body whatever it says.
    pub(crate) head_request: bool,
    /// `Writable` should be reported when the queue drains.
    pub(crate) wants_writable: bool,
    /// Since when queued body has waited on a zero window.
    pub(crate) stalled_since: Option<std::time::Instant>,
    /// The stream is in the connection's round-robin send queue.
    pub(crate) in_ready: bool,
    /// The body is held for `100 (Continue)` until then (RFC 9110 §10.1.1).
    pub(crate) held_until: Option<std::time::Instant>,
    /// A final status other than 2xx answered the held body: it is never
    /// sent, and the stream is reset once the response is complete.
    pub(crate) body_refused: bool,
}

impl Stream {
    pub(crate) fn new(id: StreamId, send_window: u32, recv_window: u32, head_request: bool) -> Self {
        Self {
            id,
            state: State::Idle,
            phase: Phase::Queued,
            recv_phase: RecvPhase::AwaitingHead,
            send_window: Window::new(send_window),
            recv_window: RecvWindow::new(recv_window, recv_window),
            send_queue: VecDeque::new(),
            send_buffered: 0,
            end_queued: false,
            trailers: None,
            end_sent: false,
            body_encoded: 0,
            body_written: 0,
            body_received: 0,
            content_length: None,
            head_request,
            wants_writable: false,
            stalled_since: None,
            in_ready: false,
            held_until: None,
            body_refused: false,
        }
    }

    /// Moves the journal forward, never back.
    pub(crate) fn advance(&mut self, phase: Phase) {
        if phase > self.phase {
            self.phase = phase;
        }
    }

    /// True once the peer ended its side (END_STREAM received).
    pub(crate) fn recv_phase_done(&self) -> bool {
        matches!(self.state, State::HalfClosedRemote | State::Closed)
    }

    /// True when body bytes or END_STREAM or trailers still wait to be encoded.
    /// A held or refused body waits for nothing.
    pub(crate) fn has_pending_send(&self) -> bool {
        if self.held_until.is_some() || self.body_refused {
            return false;
        }
        !self.send_queue.is_empty() || (self.end_queued && !self.end_sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> Vec<Input> {
        let mut v = vec![Input::SendReset, Input::RecvReset, Input::RecvWindowUpdate, Input::RecvPriority];
        for end_stream in [false, true] {
            v.push(Input::SendHeaders { end_stream });
            v.push(Input::SendData { end_stream });
            v.push(Input::RecvHeaders { end_stream });
            v.push(Input::RecvData { end_stream });
        }
        v
    }

    /// STYLE.md §3: every (state, input) pair is either a legal transition
    /// or ends in Closed with an error; the expected table is written out
    /// independently of `State::on`.
    #[test]
    fn every_state_input_pair() {
        use Input::*;
        use State::*;
        let expect = |s: State, i: Input| -> Result<State, Reason> {
            let es = |i: Input| match i {
                SendHeaders { end_stream }
                | SendData { end_stream }
                | RecvHeaders { end_stream }
                | RecvData { end_stream } => end_stream,
                _ => false,
            };
            let is_send = matches!(i, SendHeaders { .. } | SendData { .. });
            let is_recv = matches!(i, RecvHeaders { .. } | RecvData { .. });
            match s {
                Idle => match i {
                    SendHeaders { .. } => Ok(if es(i) { HalfClosedLocal } else { Open }),
                    RecvPriority => Ok(Idle),
                    _ => Err(Reason::PROTOCOL_ERROR),
                },
                Open => match i {
                    _ if is_send => Ok(if es(i) { HalfClosedLocal } else { Open }),
                    _ if is_recv => Ok(if es(i) { HalfClosedRemote } else { Open }),
                    SendReset | RecvReset => Ok(Closed),
                    _ => Ok(Open),
                },
                HalfClosedLocal => match i {
                    _ if is_send => Err(Reason::PROTOCOL_ERROR),
                    _ if is_recv => Ok(if es(i) { Closed } else { HalfClosedLocal }),
                    SendReset | RecvReset => Ok(Closed),
                    _ => Ok(HalfClosedLocal),
                },
                HalfClosedRemote => match i {
                    _ if is_send => Ok(if es(i) { Closed } else { HalfClosedRemote }),
                    _ if is_recv => Err(Reason::STREAM_CLOSED),
                    SendReset | RecvReset => Ok(Closed),
                    _ => Ok(HalfClosedRemote),
                },
                Closed => match i {
                    _ if is_recv => Err(Reason::STREAM_CLOSED),
                    RecvWindowUpdate | RecvReset | RecvPriority => Ok(Closed),
                    _ => Err(Reason::PROTOCOL_ERROR),
                },
            }
        };
        let mut pairs = 0;
        for s in State::ALL {
            for i in inputs() {
                let mut state = s;
                let got = state.on(i).map(|()| state);
                assert_eq!(got, expect(s, i), "state {s:?} input {i:?}");
                if got.is_err() {
                    assert_eq!(state, Closed, "an illegal pair must end in Closed: {s:?} {i:?}");
                }
                pairs += 1;
            }
        }
        assert_eq!(pairs, 5 * 12);
    }

    #[test]
    fn only_open_and_half_closed_remote_can_send() {
        let sendable: Vec<_> = State::ALL.into_iter().filter(|s| s.can_send()).collect();
        assert_eq!(sendable, vec![State::Open, State::HalfClosedRemote]);
    }
}
