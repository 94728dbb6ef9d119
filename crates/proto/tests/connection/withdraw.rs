//! What reaches the wire after the connection closes: the frame in
//! progress is finished, the frames queued behind it are withdrawn, and a
//! GOAWAY may follow. A stream failed as `NotSent` may be retried on another
//! connection, so its HEADERS must never reach this server afterwards.

use bytes::BytesMut;

use baton_proto::h2::frame::{Frame, Reason, StreamId};
use baton_proto::h2::{Config, ConnectionState, Event};
use baton_proto::{Phase, Processing};
use baton_testkit::Peer;
use baton_testkit::{Pair, failure_of};

/// DATA on an idle stream: a connection error (RFC 9113 §5.1).
const DATA_ON_IDLE_STREAM: [u8; 9] = [0, 0, 0, 0, 0, 0, 0, 0, 5];

fn go_away_codes(frames: &[Frame]) -> Vec<Reason> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::GoAway(g) => Some(g.error_code),
            _ => None,
        })
        .collect()
}

fn headers_for(frames: &[Frame], id: StreamId) -> bool {
    frames.iter().any(|f| matches!(f, Frame::Headers(h) if h.stream_id == id))
}

#[test]
fn queued_headers_are_withdrawn_and_only_the_go_away_goes_out() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.deliver_bytes(&DATA_ON_IDLE_STREAM);
    let events = pair.events();
    assert_eq!(failure_of(&events, id).processing, Processing::NotSent);
    let frames = pair.flush();
    assert!(matches!(frames.as_slice(), [Frame::GoAway(_)]), "only the GOAWAY: {frames:?}");
}

#[test]
fn a_frame_cut_by_a_short_write_is_finished_and_counts_as_written() {
    let mut pair = Pair::new();
    let first = pair.get("/first");
    let second = pair.get("/second");
    // The transport takes five bytes of the first HEADERS frame, then stops.
    pair.write_budget = Some(5);
    pair.flush();
    pair.deliver_bytes(&DATA_ON_IDLE_STREAM);
    let events = pair.events();
    let cut = failure_of(&events, first);
    assert_eq!(cut.phase, Phase::BodyWritten, "the server may see the whole request");
    assert_eq!(cut.processing, Processing::MaybeProcessed);
    assert_eq!(failure_of(&events, second).processing, Processing::NotSent);
    pair.write_budget = None;
    let frames = pair.flush();
    assert!(headers_for(&frames, first), "the first HEADERS frame is finished: {frames:?}");
    assert!(!headers_for(&frames, second), "the second never goes out: {frames:?}");
    assert_eq!(go_away_codes(&frames), vec![Reason::PROTOCOL_ERROR]);
    assert_eq!(frames.len(), 2, "{frames:?}");
}

/// The driver's way: bytes handed out whole by `take_transmit`, written in
/// pieces. What it must still write after the close is the rest of the
/// frame in progress.
#[test]
fn handed_out_bytes_past_the_frame_in_progress_are_withdrawn() {
    let mut pair = Pair::new();
    let first = pair.get("/first");
    let second = pair.get("/second");
    let mut held = pair.conn.take_transmit(pair.now);
    let mut peer_bytes = BytesMut::new();
    peer_bytes.extend_from_slice(&held.split_to(3));
    pair.conn.handle_written(3);
    assert_eq!(pair.conn.taken_to_write(), held.len(), "everything, while the connection lives");
    pair.deliver_bytes(&DATA_ON_IDLE_STREAM);
    let events = pair.events();
    assert_eq!(failure_of(&events, first).processing, Processing::MaybeProcessed);
    assert_eq!(failure_of(&events, second).processing, Processing::NotSent);
    let keep = pair.conn.taken_to_write();
    assert!(keep < held.len(), "the second HEADERS is withdrawn ({keep} of {})", held.len());
    peer_bytes.extend_from_slice(&held[..keep]);
    pair.conn.handle_written(keep);
    peer_bytes.extend_from_slice(pair.conn.poll_transmit(pair.now));
    let frames = pair.peer.receive(&peer_bytes);
    assert!(headers_for(&frames, first) && !headers_for(&frames, second), "{frames:?}");
    assert_eq!(go_away_codes(&frames), vec![Reason::PROTOCOL_ERROR]);
}

#[test]
fn a_close_before_anything_was_written_keeps_the_preface() {
    let mut pair = Pair::start(Config::default());
    pair.conn.handle_read(&DATA_ON_IDLE_STREAM, pair.now);
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
    let wire = pair.conn.poll_transmit(pair.now).to_vec();
    let frames = Peer::new().receive(&wire);
    assert!(matches!(frames.first(), Some(Frame::Settings(s)) if !s.ack), "SETTINGS first: {frames:?}");
    assert_eq!(go_away_codes(&frames), vec![Reason::PROTOCOL_ERROR], "{frames:?}");
}

#[test]
fn a_withdrawn_graceful_go_away_is_queued_again_before_the_error() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.conn.go_away(Reason::NO_ERROR, pair.now);
    pair.deliver_bytes(&DATA_ON_IDLE_STREAM);
    assert_eq!(failure_of(&pair.events(), id).processing, Processing::NotSent);
    let frames = pair.flush();
    assert!(!headers_for(&frames, id), "{frames:?}");
    assert_eq!(go_away_codes(&frames), vec![Reason::NO_ERROR, Reason::PROTOCOL_ERROR]);
}

#[test]
fn after_the_server_closes_nothing_queued_goes_out() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.conn.handle_eof(pair.now);
    let events = pair.events();
    assert_eq!(failure_of(&events, id).processing, Processing::NotSent);
    assert!(matches!(events.last(), Some(Event::Closed(_))));
    assert!(pair.flush().is_empty());
}

/// A stream error on a live connection cannot take a queued HEADERS frame
/// back (the frames behind it were compressed against it, RFC 7541 §2.3.2):
/// the head goes out before the RST_STREAM, so it may be processed.
#[test]
fn a_stream_error_before_the_head_left_judges_it_as_sent() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    // DATA before any HEADERS on an open stream: a stream error (§8.1).
    pair.deliver(&[baton_testkit::frames::data(1, b"x", false)]);
    let failure = failure_of(&pair.events(), id);
    assert_eq!(failure.phase, Phase::HeadersQueued);
    assert_eq!(failure.processing, Processing::MaybeProcessed);
    let frames = pair.flush();
    assert!(headers_for(&frames, id), "{frames:?}");
    assert!(matches!(frames.last(), Some(Frame::RstStream(_))), "{frames:?}");
}

/// A head larger than one frame is HEADERS then CONTINUATION; a close while
/// its HEADERS frame is being written finishes the whole block (§6.10:
/// nothing may come between them), and its stream counts as written.
#[test]
fn a_field_block_cut_by_a_short_write_is_finished_whole() {
    let mut pair = Pair::new();
    let mut big = http::HeaderMap::new();
    big.insert("x-big", http::HeaderValue::from_str(&"a".repeat(60_000)).unwrap());
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let id = pair.conn.send_request(&http::Method::GET, &uri, &big, true, pair.now).unwrap();
    let second = pair.get("/second");
    pair.write_budget = Some(5);
    pair.flush();
    pair.deliver_bytes(&DATA_ON_IDLE_STREAM);
    let events = pair.events();
    assert_eq!(failure_of(&events, id).processing, Processing::MaybeProcessed);
    assert_eq!(failure_of(&events, second).processing, Processing::NotSent);
    pair.write_budget = None;
    let frames = pair.flush();
    let continuations = frames.iter().filter(|f| matches!(f, Frame::Continuation(_))).count();
    assert!(continuations >= 2, "{} frames", frames.len());
    assert!(matches!(frames.get(frames.len() - 2), Some(Frame::Continuation(c)) if c.end_headers));
    assert!(!headers_for(&frames, second));
    assert_eq!(go_away_codes(&frames), vec![Reason::PROTOCOL_ERROR]);
}

/// After a cut into bytes already handed out, what is queued next (the
/// GOAWAY) is walked from the cut: written a byte at a time, it neither
/// panics nor loses a frame (found in review).
#[test]
fn bytes_queued_after_a_cut_into_handed_out_bytes_are_walked_from_the_cut() {
    let mut pair = Pair::new();
    let _a = pair.get("/a");
    let b = pair.get(&format!("/{}", "b".repeat(17)));
    let _c = pair.get(&format!("/{}", "c".repeat(9)));
    let mut held = pair.conn.take_transmit(pair.now);
    let mut wire = held.split_to(1).to_vec();
    pair.conn.handle_written(1);
    pair.deliver_bytes(&[0, 0, 0, 4, 0, 0, 0, 0, 1]); // SETTINGS on stream 1
    held.truncate(pair.conn.taken_to_write());
    loop {
        if held.is_empty() {
            held = pair.conn.take_transmit(pair.now);
            if held.is_empty() {
                break;
            }
        }
        wire.extend_from_slice(&held.split_to(1));
        pair.conn.handle_written(1);
    }
    let frames = pair.peer.receive(&wire);
    assert!(!headers_for(&frames, b), "{frames:?}");
    assert_eq!(go_away_codes(&frames), vec![Reason::PROTOCOL_ERROR]);
}
