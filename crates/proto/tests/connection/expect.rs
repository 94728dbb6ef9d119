//! `Expect: 100-continue` in the engine (RFC 9110 §10.1.1): a held body
//! waits for `100 (Continue)` or a final status, or for
//! `Config::continue_wait` on the connection's own timer.

use std::time::Duration;

use bytes::Bytes;
use http::Method;

use baton_proto::h2::Event;
use baton_proto::h2::frame::{Frame, Reason, StreamId};
use baton_testkit::frames;
use baton_testkit::{Pair, ended};

/// A POST opened without END_STREAM and held at once.
fn held_post(pair: &mut Pair) -> StreamId {
    let id = pair.request(Method::POST, "/upload", false);
    pair.conn.hold_body(id, pair.now);
    id
}

fn data_frames(frames: &[Frame]) -> Vec<(u32, Bytes, bool)> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Data(d) => Some((d.stream_id.value(), d.data.clone(), d.end_stream)),
            _ => None,
        })
        .collect()
}

fn writable(events: &[Event], id: StreamId) -> bool {
    events.iter().any(|e| matches!(e, Event::Writable { stream_id } if *stream_id == id))
}

#[test]
fn a_held_body_waits_for_100_continue() {
    let mut pair = Pair::new();
    let id = held_post(&mut pair);
    assert!(!writable(&pair.events(), id), "no Writable while held");
    pair.conn.send_data(id, Bytes::from_static(b"body"), true).unwrap();
    let frames = pair.flush();
    assert!(matches!(frames.as_slice(), [Frame::Headers(h)] if !h.end_stream), "{frames:?}");
    let interim = pair.peer.response(1, "100", false);
    pair.deliver(&[interim]);
    let events = pair.events();
    assert!(matches!(events.as_slice(), [Event::InformationalReceived { .. }]), "{events:?}");
    assert_eq!(data_frames(&pair.flush()), vec![(1, Bytes::from_static(b"body"), true)]);
}

#[test]
fn a_streamed_held_body_is_told_writable_only_once_released() {
    let mut pair = Pair::new();
    let id = held_post(&mut pair);
    pair.flush();
    assert!(pair.events().is_empty());
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head]);
    let events = pair.events();
    assert!(matches!(events[0], Event::ResponseReceived { .. }), "{events:?}");
    assert!(writable(&events, id), "a 2xx lets the body go: {events:?}");
    pair.conn.send_data(id, Bytes::from_static(b"late"), true).unwrap();
    assert_eq!(data_frames(&pair.flush()), vec![(1, Bytes::from_static(b"late"), true)]);
}

/// A final status other than 2xx refuses the body: it is never sent, and
/// once the response is complete the stream is reset (CANCEL), which ends
/// our side without cutting the response.
#[test]
fn a_refusing_status_drops_the_body_and_cancels_after_the_response() {
    let mut pair = Pair::new();
    let id = held_post(&mut pair);
    pair.conn.send_data(id, Bytes::from_static(b"unwanted"), true).unwrap();
    pair.flush();
    let head = pair.peer.response(1, "417", false);
    pair.deliver(&[head, frames::data(1, b"no", true)]);
    let events = pair.events();
    assert!(ended(&events, id), "the response is whole: {events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::StreamFailed(_))), "{events:?}");
    let frames = pair.flush();
    assert!(data_frames(&frames).is_empty(), "the body never went: {frames:?}");
    assert_eq!(frames, vec![frames::rst(1, Reason::CANCEL)]);
    assert!(pair.conn.send_data(id, Bytes::from_static(b"more"), true).is_err());
    // Nothing left of the stream: the wait is gone with it.
    assert_eq!(pair.conn.active_streams(), 0);
}

#[test]
fn an_unanswered_expectation_times_out_on_the_connection_timer() {
    let mut pair = Pair::new();
    let id = held_post(&mut pair);
    pair.conn.send_data(id, Bytes::from_static(b"body"), true).unwrap();
    pair.flush();
    let wait = baton_proto::h2::Config::default().continue_wait;
    assert_eq!(pair.conn.poll_timeout(), Some(pair.now + wait));
    pair.advance(wait - Duration::from_millis(1));
    assert!(pair.flush().is_empty(), "still held");
    pair.advance(Duration::from_millis(1));
    let events = pair.events();
    assert_eq!(events, vec![Event::ContinueTimeout { stream_id: id }]);
    assert_eq!(data_frames(&pair.flush()), vec![(1, Bytes::from_static(b"body"), true)]);
    let head = pair.peer.response(1, "200", true);
    pair.deliver(&[head]);
    assert!(ended(&pair.events(), id));
}

/// Each held stream has its own deadline; the timer follows the earliest.
#[test]
fn holds_expire_in_order() {
    let mut pair = Pair::new();
    let first = held_post(&mut pair);
    pair.advance(Duration::from_millis(400));
    let second = held_post(&mut pair);
    pair.flush();
    let wait = baton_proto::h2::Config::default().continue_wait;
    pair.advance(wait - Duration::from_millis(400));
    assert_eq!(
        pair.events(),
        vec![Event::ContinueTimeout { stream_id: first }, Event::Writable { stream_id: first }]
    );
    pair.advance(Duration::from_millis(400));
    assert_eq!(
        pair.events(),
        vec![Event::ContinueTimeout { stream_id: second }, Event::Writable { stream_id: second }]
    );
    assert_eq!(pair.conn.poll_timeout().filter(|at| *at <= pair.now + wait), None, "no hold left");
}

/// A held stream that the server resets fails as any stream does; its
/// deadline fires for nobody.
#[test]
fn a_reset_held_stream_leaves_no_hold_behind() {
    let mut pair = Pair::new();
    let id = held_post(&mut pair);
    pair.flush();
    pair.deliver(&[frames::rst(1, Reason::REFUSED_STREAM)]);
    let events = pair.events();
    assert!(events.iter().any(|e| matches!(e, Event::StreamFailed(f) if f.stream_id == id)), "{events:?}");
    pair.advance(baton_proto::h2::Config::default().continue_wait);
    assert!(pair.events().is_empty());
}
