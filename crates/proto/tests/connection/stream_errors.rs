//! Per-stream violations in every stream state (RFC 9113 §5.1, §5.4): on a
//! stream we hold, a stream error (RST_STREAM with the violation's code);
//! on a stream we reset, nothing (the frame may predate our reset); on an
//! idle or otherwise closed stream, a connection error with the same code,
//! because RST_STREAM may not go there (§6.4, §5.1) and §5.4.1 lets any
//! stream error be a connection error. Never an RST_STREAM for a stream we
//! do not hold, and never a stream id reused.

use bytes::{BufMut, Bytes, BytesMut};
use http::Method;

use baton_proto::h2::frame::{
    Continuation, Frame, FrameError, FrameType, Priority, PrioritySpec, Reason, StreamId, WindowUpdate,
};
use baton_proto::h2::{CloseCause, ConnectionState, Event, FailureCause, SendError, Violation};
use baton_testkit::{Pair, failure_of, frames as peer};

/// Where a stream is in its life when the bad frame arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Never opened: no request was sent yet, as when the server's frames
    /// arrive between its SETTINGS and our first request.
    Idle,
    /// Request sent (body still open), no response yet.
    Open,
    /// Request ended, no response yet.
    HalfClosedLocal,
    /// Response complete, request body still open.
    HalfClosedRemote,
    /// Reset by us, and remembered.
    ResetByUs,
    /// Both sides ended normally, and forgotten.
    Closed,
}

const STATES: [State; 6] = [
    State::Idle,
    State::Open,
    State::HalfClosedLocal,
    State::HalfClosedRemote,
    State::ResetByUs,
    State::Closed,
];

/// A handshaken connection with stream 1 in `state`.
fn with_stream_in(state: State) -> (Pair, StreamId) {
    let mut pair = Pair::new();
    let id = StreamId::new(1);
    match state {
        State::Idle => {}
        State::Open => {
            pair.request(Method::POST, "/", false);
        }
        State::HalfClosedLocal => {
            pair.get("/");
        }
        State::HalfClosedRemote => {
            pair.request(Method::POST, "/", false);
            pair.flush();
            let head = pair.peer.response(1, "200", true);
            pair.deliver(&[head]);
            assert_eq!(
                pair.conn.stream_phase(id),
                Some(baton_proto::Phase::Complete),
                "kept for its request side"
            );
        }
        State::ResetByUs => {
            pair.get("/");
            pair.flush();
            pair.conn.reset(id, Reason::CANCEL, pair.now);
        }
        State::Closed => {
            pair.get("/");
            pair.flush();
            let head = pair.peer.response(1, "200", true);
            pair.deliver(&[head]);
            assert_eq!(pair.conn.stream_phase(id), None, "gone");
        }
    }
    pair.flush();
    pair.events();
    (pair, id)
}

/// A frame that breaks a per-stream rule, and the violation it is.
#[derive(Debug, Clone, Copy)]
enum Bad {
    /// §6.3: PRIORITY whose length is not 5 (FRAME_SIZE_ERROR).
    PriorityLength,
    /// §5.3.1: PRIORITY making the stream depend on itself (PROTOCOL_ERROR).
    PrioritySelf,
    /// §6.9: WINDOW_UPDATE with increment 0 (PROTOCOL_ERROR).
    ZeroWindowUpdate,
}

const BADS: [Bad; 3] = [Bad::PriorityLength, Bad::PrioritySelf, Bad::ZeroWindowUpdate];

impl Bad {
    fn bytes(self, id: StreamId) -> Bytes {
        let mut raw = BytesMut::new();
        match self {
            Self::PriorityLength => {
                raw.put_uint(4, 3);
                raw.put_u8(FrameType::PRIORITY.0);
                raw.put_u8(0);
                raw.put_u32(id.value());
                raw.put_u32(0);
            }
            Self::PrioritySelf => Frame::Priority(Priority {
                stream_id: id,
                spec: PrioritySpec { dependency: id, exclusive: false, weight: 16 },
            })
            .encode(&mut raw),
            Self::ZeroWindowUpdate => {
                Frame::WindowUpdate(WindowUpdate { stream_id: id, increment: 0 }).encode(&mut raw)
            }
        }
        raw.freeze()
    }

    fn violation(self, id: StreamId) -> Violation {
        Violation::Frame(match self {
            Self::PriorityLength => FrameError::BadPriorityLength { stream_id: id, length: 4 },
            Self::PrioritySelf => FrameError::SelfDependency { stream_id: id },
            Self::ZeroWindowUpdate => FrameError::ZeroWindowIncrement { stream_id: id },
        })
    }
}

fn rsts(frames: &[Frame]) -> Vec<(StreamId, Reason)> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::RstStream(r) => Some((r.stream_id, r.reason)),
            _ => None,
        })
        .collect()
}

/// The connection ended with GOAWAY carrying `violation`'s code, and no
/// RST_STREAM went out.
fn assert_connection_error(pair: &mut Pair, violation: &Violation, what: &str) {
    let frames = pair.flush();
    assert!(rsts(&frames).is_empty(), "{what}: RST_STREAM sent: {frames:?}");
    assert!(
        matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == violation.reason()),
        "{what}: {frames:?}"
    );
    let events = pair.events();
    assert!(
        matches!(events.last(), Some(Event::Closed(CloseCause::Violation(v))) if v == violation),
        "{what}: {events:?}"
    );
    // The id is never used again: the connection takes no stream.
    let uri = "https://example.com/".parse().unwrap();
    let next = pair.conn.send_request(&Method::GET, &uri, &http::HeaderMap::new(), true, pair.now);
    assert_eq!(next, Err(SendError::Closed), "{what}");
}

#[test]
fn per_stream_frame_errors_in_every_state() {
    for state in STATES {
        for bad in BADS {
            let what = format!("{bad:?} on a stream {state:?}");
            let (mut pair, id) = with_stream_in(state);
            pair.deliver_bytes(&bad.bytes(id));
            let violation = bad.violation(id);
            match state {
                State::Open | State::HalfClosedLocal | State::HalfClosedRemote => {
                    let frames = pair.flush();
                    assert_eq!(rsts(&frames), vec![(id, violation.reason())], "{what}");
                    assert_eq!(pair.conn.state(), ConnectionState::Open, "{what}");
                    let events = pair.events();
                    if state == State::HalfClosedRemote {
                        // Its response already ended: no second terminal event.
                        assert!(events.is_empty(), "{what}: {events:?}");
                    } else {
                        assert_eq!(
                            failure_of(&events, id).cause,
                            FailureCause::Violation(violation),
                            "{what}"
                        );
                    }
                }
                State::ResetByUs => {
                    assert!(pair.flush().is_empty(), "{what}: answered a frame on a stream we reset");
                    assert!(pair.events().is_empty(), "{what}");
                    assert_eq!(pair.conn.state(), ConnectionState::Open, "{what}");
                }
                State::Idle | State::Closed => assert_connection_error(&mut pair, &violation, &what),
            }
        }
    }
}

/// DATA and HEADERS where the server may not send them: on an idle stream,
/// a PROTOCOL_ERROR (§5.1 idle); after the server ended the stream, a
/// stream error STREAM_CLOSED while we still hold it (§5.1 half-closed
/// (remote)) and a connection error STREAM_CLOSED once it is closed (§5.1
/// closed); on a stream we reset, nothing.
#[test]
fn data_and_headers_where_the_server_may_not_send_them() {
    for state in [State::Idle, State::HalfClosedRemote, State::ResetByUs, State::Closed] {
        for frame in ["DATA", "HEADERS"] {
            let what = format!("{frame} on a stream {state:?}");
            let (mut pair, id) = with_stream_in(state);
            let bad = match frame {
                "DATA" => peer::data(1, b"x", false),
                _ => pair.peer.response(1, "200", false),
            };
            pair.deliver(&[bad]);
            let closed = Violation::FrameAfterEndStream { frame, reason: Reason::STREAM_CLOSED };
            match state {
                State::Idle => {
                    let v = if frame == "DATA" {
                        Violation::DataOnIdleStream
                    } else {
                        Violation::HeadersOnIdleStream
                    };
                    assert_connection_error(&mut pair, &v, &what);
                }
                State::HalfClosedRemote => {
                    assert_eq!(rsts(&pair.flush()), vec![(id, Reason::STREAM_CLOSED)], "{what}");
                    assert_eq!(pair.conn.state(), ConnectionState::Open, "{what}");
                }
                State::ResetByUs => {
                    // DATA still gives its flow-control credit back.
                    let frames = pair.flush();
                    assert!(
                        rsts(&frames).is_empty() && frames.iter().all(|f| !matches!(f, Frame::GoAway(_))),
                        "{what}: {frames:?}"
                    );
                    assert_eq!(pair.conn.state(), ConnectionState::Open, "{what}");
                }
                State::Closed => assert_connection_error(&mut pair, &closed, &what),
                State::Open | State::HalfClosedLocal => unreachable!(),
            }
        }
    }
}

/// §6.10: CONTINUATION with no field block open is a connection error,
/// whatever the state of its stream.
#[test]
fn an_orphan_continuation_is_a_connection_error_in_every_state() {
    for state in STATES {
        let (mut pair, id) = with_stream_in(state);
        pair.deliver(&[Frame::Continuation(Continuation {
            stream_id: id,
            end_headers: true,
            fragment: Bytes::new(),
        })]);
        assert_connection_error(
            &mut pair,
            &Violation::OrphanContinuation,
            &format!("CONTINUATION, {state:?}"),
        );
    }
}

/// The conformance case that found it: a 4-octet PRIORITY on stream 1
/// between the server's SETTINGS and our first request. No RST_STREAM for
/// the idle stream, no stream 1 opened after it, and the error keeps its
/// code.
#[test]
fn a_bad_priority_before_the_first_request_is_not_answered_on_the_idle_stream() {
    let (mut pair, id) = with_stream_in(State::Idle);
    pair.deliver_bytes(&Bad::PriorityLength.bytes(id));
    let violation = Bad::PriorityLength.violation(id);
    assert_eq!(violation.reason(), Reason::FRAME_SIZE_ERROR);
    assert_connection_error(&mut pair, &violation, "PRIORITY of 4 octets on idle stream 1");
    assert!(pair.sent.iter().all(|f| !matches!(f, Frame::Headers(_))), "no stream was opened");
}
