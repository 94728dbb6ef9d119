//! Rules that protect the client from a broken or hostile server (RFC 9113
//! §4.3, §5.1, §6.5.2, §6.10, §8.1.1, §10.5; DESIGN.md §6). Each ends in a
//! named stream or connection error, never a panic or unbounded memory.

use bytes::{Bytes, BytesMut};

use crate::config;
use baton_proto::Processing;
use baton_proto::h2::frame::{
    Continuation, Frame, Headers, PushPromise, Reason, Settings, StreamId, Unknown,
};
use baton_proto::h2::{CloseCause, Config, ConnectionState, Event, FailureCause, Violation};
use baton_testkit::frames;
use baton_testkit::{Pair, ended, failure_of};

/// The connection was closed for `violation`: GOAWAY with its code and its
/// text as debug data, and `Closed` naming it.
fn closed_with(pair: &mut Pair, violation: Violation) {
    let reason = violation.reason();
    let frames = pair.flush();
    assert!(
        matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == reason && g.debug_data == violation.to_string()),
        "expected GOAWAY({reason:?}), got {frames:?}"
    );
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
    let events = pair.events();
    assert!(
        matches!(events.last(), Some(Event::Closed(CloseCause::Violation(v))) if *v == violation),
        "{events:?}"
    );
}

/// Stream `id` was reset for `violation`, and the connection goes on.
fn reset_with(pair: &mut Pair, id: StreamId, violation: Violation) -> baton_proto::h2::StreamFailure {
    let f = failure_of(&pair.events(), id);
    assert_eq!(f.cause, FailureCause::Violation(violation.clone()));
    let frames = pair.flush();
    assert!(frames.contains(&frames::rst(id.value(), violation.reason())), "{frames:?}");
    assert_eq!(pair.conn.state(), ConnectionState::Open, "a stream error keeps the connection");
    f
}

/// A HEADERS frame carrying `fragment` as it is.
fn headers_frame(id: u32, end_stream: bool, end_headers: bool, fragment: Bytes) -> Frame {
    Frame::Headers(Headers {
        stream_id: StreamId::new(id),
        end_stream,
        end_headers,
        priority: None,
        pad_len: None,
        fragment,
    })
}

/// A CONTINUATION frame carrying `fragment`.
fn continuation(id: u32, end_headers: bool, fragment: Bytes) -> Frame {
    Frame::Continuation(Continuation { stream_id: StreamId::new(id), end_headers, fragment })
}

fn split_headers(pair: &mut Pair, id: u32, fields: &[(&str, &str)], pieces: usize) -> Vec<Frame> {
    let block = pair.peer.encode_block(fields);
    let size = block.len().div_ceil(pieces).max(1);
    let chunks: Vec<Bytes> = block.chunks(size).map(Bytes::copy_from_slice).collect();
    let mut frames = vec![headers_frame(id, true, chunks.len() == 1, chunks[0].clone())];
    for (i, c) in chunks.iter().enumerate().skip(1) {
        frames.push(continuation(id, i == chunks.len() - 1, c.clone()));
    }
    frames
}

#[test]
fn response_split_over_continuation_is_reassembled() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    let frames = split_headers(
        &mut pair,
        1,
        &[(":status", "200"), ("x-a", "aaaaaaaaaaaaaaaaaaaaaa"), ("x-b", "b")],
        4,
    );
    assert!(frames.len() > 2);
    pair.deliver(&frames);
    let events = pair.events();
    assert!(
        matches!(&events[0], Event::ResponseReceived { head, .. } if head.headers["x-a"] == "aaaaaaaaaaaaaaaaaaaaaa")
    );
    assert!(ended(&events, id));
}

#[test]
fn frame_interleaved_in_a_field_block_is_a_protocol_error() {
    let mut pair = Pair::new();
    pair.get("/");
    pair.flush();
    let mut frames = split_headers(&mut pair, 1, &[(":status", "200"), ("x-a", "aaaaaaaaaaaaaaaaaaaa")], 2);
    frames.insert(1, frames::ping([0; 8]));
    pair.deliver(&frames);
    closed_with(&mut pair, Violation::InterleavedFieldBlock);
}

#[test]
fn continuation_without_headers_is_a_protocol_error() {
    let mut pair = Pair::new();
    pair.get("/");
    pair.flush();
    pair.deliver(&[continuation(1, true, Bytes::new())]);
    closed_with(&mut pair, Violation::OrphanContinuation);
}

#[test]
fn continuation_flood_is_cut_off() {
    let config = config(|c| c.max_continuation_frames = 16);
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/");
    pair.flush();
    let mut frames = vec![headers_frame(1, false, false, Bytes::new())];
    frames.extend((0..1_000).map(|_| continuation(1, false, Bytes::new())));
    pair.deliver(&frames);
    closed_with(&mut pair, Violation::FieldBlockTooLarge);
}

#[test]
fn oversized_field_block_is_cut_off_before_it_is_buffered_whole() {
    let config = config(|c| c.max_header_list_size = 1_000);
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/");
    pair.flush();
    let mut frames = vec![headers_frame(1, false, false, Bytes::new())];
    frames.extend((0..10).map(|_| continuation(1, false, Bytes::from(vec![0x40; 16_000]))));
    pair.deliver(&frames);
    closed_with(&mut pair, Violation::FieldBlockTooLarge);
}

#[test]
fn header_list_above_our_limit_cancels_the_stream_and_keeps_hpack_in_sync() {
    let config = config(|c| c.max_header_list_size = 200);
    let mut pair = Pair::with(config, Settings::default());
    let big = pair.get("/");
    let next = pair.get("/");
    pair.flush();
    let value = "v".repeat(300);
    // Indexed into the server's dynamic table: the client must add it to its
    // own table even though it refuses the list.
    let head = pair.peer.headers(1, &[(":status", "200"), ("x-big", &value)], true);
    pair.deliver(&[head]);
    let f = reset_with(&mut pair, big, Violation::ResponseHeadersTooLarge);
    assert_eq!(f.processing, Processing::MaybeProcessed);
    let head = pair.peer.headers(3, &[(":status", "200"), ("x-small", "1")], true);
    pair.deliver(&[head]);
    let events = pair.events();
    assert!(ended(&events, next), "{events:?}");
}

#[test]
fn hpack_garbage_is_a_compression_error() {
    let mut pair = Pair::new();
    pair.get("/");
    pair.flush();
    pair.deliver(&[headers_frame(1, true, true, Bytes::from_static(&[0xff; 6]))]);
    let frames = pair.flush();
    assert!(matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::COMPRESSION_ERROR));
    let events = pair.events();
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Violation(Violation::Compression(_))))));
}

#[test]
fn push_promise_is_a_protocol_error() {
    let mut pair = Pair::new();
    pair.get("/");
    pair.flush();
    let fragment = pair.peer.encode_block(&[(":method", "GET"), (":path", "/pushed")]);
    pair.deliver(&[Frame::PushPromise(PushPromise {
        stream_id: StreamId::new(1),
        promised_id: StreamId::new(2),
        end_headers: true,
        pad_len: None,
        fragment,
    })]);
    closed_with(&mut pair, Violation::PushPromise);
}

#[test]
fn enable_push_one_from_the_server_is_a_protocol_error() {
    let mut pair = Pair::new();
    pair.deliver(&[Frame::Settings(Settings { enable_push: Some(1), ..Settings::default() })]);
    closed_with(&mut pair, Violation::EnablePush);
}

#[test]
fn frames_on_idle_or_server_streams_are_protocol_errors() {
    type Make = fn(&mut Pair) -> Frame;
    let cases: [(Violation, Make); 5] = [
        (Violation::DataOnIdleStream, |_| frames::data(5, b"x", false)),
        (Violation::HeadersOnIdleStream, |p| p.peer.response(5, "200", true)),
        (Violation::HeadersOnIdleStream, |p| p.peer.response(2, "200", true)),
        (Violation::ResetOnIdleStream, |_| frames::rst(7, Reason::CANCEL)),
        (Violation::WindowUpdateOnIdleStream, |_| frames::window_update(9, 1)),
    ];
    for (violation, make) in cases {
        let mut pair = Pair::new();
        pair.get("/");
        pair.flush();
        let frame = make(&mut pair);
        pair.deliver(&[frame]);
        closed_with(&mut pair, violation);
    }
}

#[test]
fn priority_and_unknown_frames_are_ignored() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    let unknown = Frame::Unknown(Unknown {
        kind: baton_proto::h2::frame::FrameType(0xfa),
        flags: 0xff,
        stream_id: StreamId::new(1),
        payload: Bytes::from_static(b"whatever"),
    });
    let priority = Frame::Priority(baton_proto::h2::frame::Priority {
        stream_id: StreamId::new(11),
        spec: baton_proto::h2::frame::PrioritySpec {
            dependency: StreamId::new(1),
            exclusive: false,
            weight: 3,
        },
    });
    let head = pair.peer.response(1, "200", true);
    pair.deliver(&[unknown, priority, head]);
    assert!(ended(&pair.events(), id));
    assert!(pair.flush().is_empty());
}

#[test]
fn control_frame_flood_is_enhance_your_calm() {
    let config = config(|c| c.max_control_frames_in_a_row = 100);
    let mut pair = Pair::with(config, Settings::default());
    let pings: Vec<Frame> = (0..101).map(|i| frames::ping([i as u8; 8])).collect();
    pair.deliver(&pings);
    closed_with(&mut pair, Violation::ControlFrameFlood);
}

#[test]
fn empty_data_flood_is_enhance_your_calm() {
    let config = config(|c| c.max_control_frames_in_a_row = 100);
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    let mut frames = vec![head];
    frames.extend((0..200).map(|_| frames::data(1, b"", false)));
    pair.deliver(&frames);
    closed_with(&mut pair, Violation::ControlFrameFlood);
}

#[test]
fn oversized_frame_is_a_frame_size_error() {
    let mut pair = Pair::new();
    pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head]);
    let mut raw = BytesMut::new();
    baton_proto::h2::frame::Data::encode_slice(&mut raw, StreamId::new(1), &[0; 20_000], false);
    pair.deliver_bytes(&raw);
    closed_with(
        &mut pair,
        Violation::Frame(baton_proto::h2::frame::FrameError::TooLarge {
            kind: baton_proto::h2::frame::FrameType::DATA,
            length: 20_000,
            max: 16_384,
        }),
    );
}

#[test]
fn malformed_responses_are_stream_errors() {
    type Make = fn(&mut Pair) -> Vec<Frame>;
    let cases: [(Violation, Make); 7] = [
        (Violation::DataOutsideBody, |_| vec![frames::data(1, b"x", true)]),
        (Violation::MalformedResponse("missing :status"), |p| vec![p.peer.headers(1, &[("x", "y")], true)]),
        (Violation::MalformedResponse("unknown or request pseudo-header in a response"), |p| {
            vec![p.peer.headers(1, &[(":status", "200"), (":path", "/")], true)]
        }),
        (Violation::SwitchingProtocols, |p| vec![p.peer.response(1, "101", false)]),
        (Violation::InformationalEndStream, |p| vec![p.peer.response(1, "100", true)]),
        (Violation::ContentLengthShort, |p| {
            vec![
                p.peer.headers(1, &[(":status", "200"), ("content-length", "3")], false),
                frames::data(1, b"ab", true),
            ]
        }),
        (Violation::TrailersWithoutEndStream, |p| {
            vec![p.peer.response(1, "200", false), p.peer.headers(1, &[("x", "y")], false)]
        }),
    ];
    for (violation, make) in cases {
        assert_eq!(violation.reason(), Reason::PROTOCOL_ERROR, "{violation:?}");
        let mut pair = Pair::new();
        let id = pair.get("/");
        pair.flush();
        let frames = make(&mut pair);
        pair.deliver(&frames);
        reset_with(&mut pair, id, violation);
    }
}

#[test]
fn head_response_with_content_length_has_no_body() {
    let mut pair = Pair::new();
    let id = pair.request(http::Method::HEAD, "/", true);
    pair.flush();
    let head = pair.peer.headers(1, &[(":status", "200"), ("content-length", "1000")], true);
    pair.deliver(&[head]);
    assert!(ended(&pair.events(), id));
}

#[test]
fn server_header_table_size_is_honoured_by_our_encoder() {
    // The server allows no dynamic table at all: our encoder must say so
    // (RFC 7541 §4.2, §6.3) and never index, or the server's decoder fails.
    let server = Settings { header_table_size: Some(0), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    pair.peer.hpack_decoder.set_max_table_size(0);
    for _ in 0..3 {
        let uri: http::Uri = "https://example.com/x".parse().unwrap();
        let mut h = http::HeaderMap::new();
        h.insert("x-custom", http::HeaderValue::from_static("some value"));
        pair.conn.send_request(&http::Method::GET, &uri, &h, true, pair.now).unwrap();
        let frames = pair.flush();
        let Frame::Headers(hd) = &frames[0] else { panic!() };
        let fields = pair.peer.decode_block(&hd.fragment).unwrap();
        assert!(fields.contains(&("x-custom".to_string(), "some value".to_string())));
    }
    assert_eq!(pair.peer.hpack_decoder.table_size(), 0);
}

#[test]
fn byte_at_a_time_delivery_gives_the_same_events() {
    let run = |chunk: usize| {
        let mut pair = Pair::new();
        pair.read_chunk = chunk;
        pair.write_chunk = chunk;
        let a = pair.get("/a");
        let b = pair.post("/b", &[9; 3_000], true);
        pair.flush();
        let h1 = pair.peer.headers(1, &[(":status", "200"), ("content-length", "4")], false);
        let h3 = pair.peer.response(3, "201", false);
        let tr = pair.peer.headers(3, &[("x-t", "1")], true);
        pair.deliver(&[h1, h3, frames::data(1, b"body", true), frames::go_away(3, Reason::NO_ERROR), tr]);
        let events = pair.events();
        assert!(ended(&events, a) && ended(&events, b));
        events
    };
    assert_eq!(run(1), run(usize::MAX));
    assert_eq!(run(7), run(usize::MAX));
}

/// The byte-corruption knob: flip every byte of a server's answer in turn.
/// Whatever the damage, nothing panics and every stream ends exactly once
/// (by the time the transport closes).
#[test]
fn corrupting_any_server_byte_never_breaks_the_one_terminal_event_rule() {
    let mut reference = Pair::new();
    reference.get("/a");
    reference.post("/b", b"xyz", true);
    reference.flush();
    let h1 = reference.peer.headers(1, &[(":status", "200"), ("content-length", "4")], false);
    let h3 = reference.peer.response(3, "201", false);
    let tr = reference.peer.headers(3, &[("x-t", "1")], true);
    let mut wire = BytesMut::new();
    for f in [h1, frames::data(1, b"body", true), h3, frames::go_away(3, Reason::NO_ERROR), tr] {
        f.encode(&mut wire);
    }
    for i in 0..wire.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut pair = Pair::new();
            let ids = [pair.get("/a"), pair.post("/b", b"xyz", true)];
            pair.flush();
            let mut bytes = wire.clone();
            bytes[i] ^= flip;
            pair.deliver_bytes(&bytes);
            pair.conn.handle_eof(pair.now);
            let events = pair.events();
            for id in ids {
                let terminal = events
                    .iter()
                    .filter(|e| match e {
                        Event::StreamEnded { stream_id } => *stream_id == id,
                        Event::StreamFailed(f) => f.stream_id == id,
                        _ => false,
                    })
                    .count();
                assert_eq!(terminal, 1, "byte {i} ^ {flip:#x}, stream {id}: {events:#?}");
            }
            assert_eq!(events.iter().filter(|e| matches!(e, Event::Closed(_))).count(), 1);
        }
    }
}

#[test]
fn self_dependent_headers_reset_the_stream_after_hpack_decoding() {
    let mut pair = Pair::new();
    let bad = pair.get("/");
    let good = pair.get("/");
    pair.flush();
    // The first block indexes a field the second one refers to.
    let fragment = pair.peer.encode_block(&[(":status", "200"), ("x-shared", "value")]);
    let headers = Frame::Headers(Headers {
        stream_id: bad,
        end_stream: true,
        end_headers: true,
        priority: Some(baton_proto::h2::frame::PrioritySpec { dependency: bad, exclusive: false, weight: 1 }),
        pad_len: None,
        fragment,
    });
    pair.deliver(&[headers]);
    reset_with(&mut pair, bad, Violation::SelfDependentHeaders);
    let head = pair.peer.headers(3, &[(":status", "200"), ("x-shared", "value")], true);
    pair.deliver(&[head]);
    let events = pair.events();
    assert!(
        matches!(&events[0], Event::ResponseReceived { head, .. } if head.headers["x-shared"] == "value")
    );
    assert!(ended(&events, good));
}

/// Rounds of PINGs, each ended by one byte of DATA (progress, so the
/// no-progress count never trips).
fn pings_with_data(rounds: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    for r in 0..rounds {
        frames.extend((0..5).map(|i| frames::ping([(r * 5 + i) as u8; 8])));
        frames.push(frames::data(1, b"x", false));
    }
    frames
}

/// A connection with a 1,000-byte write backlog limit and a response head
/// in, its body still to come (so DATA keeps resetting the no-progress count).
fn response_in_progress_with_small_backlog() -> Pair {
    let config = config(|c| {
        c.max_control_frames_in_a_row = 10;
        c.max_write_backlog = 1_000;
    });
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head]);
    pair
}

/// RFC 9113 §10.5: a server that sends PINGs (interleaved with DATA) and
/// never reads the ACKs must not grow our write buffer without bound.
#[test]
fn unread_ping_acks_are_enhance_your_calm() {
    let mut pair = response_in_progress_with_small_backlog();
    // 100 rounds owe 500 ACKs (8,500 bytes) and nothing is flushed.
    let frames = pings_with_data(100);
    pair.deliver(&frames);
    closed_with(&mut pair, Violation::AnswersNotRead);
}

/// A driver that takes the bytes to write (`take_transmit`) but cannot get
/// them written holds the backlog itself; it counts all the same.
#[test]
fn unread_ping_acks_taken_by_the_driver_count_too() {
    let mut pair = response_in_progress_with_small_backlog();
    let mut wire = Vec::new();
    for _ in 0..100 {
        pair.deliver(&pings_with_data(1));
        wire.extend_from_slice(&pair.conn.take_transmit(pair.now));
        assert!(pair.conn.poll_transmit(pair.now).is_empty(), "the driver holds everything");
        if pair.conn.state() == ConnectionState::Closed {
            break;
        }
    }
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
    // Over the limit, not much more: what was owed, then the GOAWAY.
    assert!((1_000..2_000).contains(&wire.len()), "{}", wire.len());
    let frames = pair.peer.receive(&wire);
    assert!(
        matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::ENHANCE_YOUR_CALM),
        "{frames:?}"
    );
}

/// The same PINGs from a server that reads its ACKs are fine.
#[test]
fn read_ping_acks_are_fine() {
    let mut pair = response_in_progress_with_small_backlog();
    for _ in 0..100 {
        let frames = pings_with_data(1);
        pair.deliver(&frames);
        pair.flush();
    }
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

/// SETTINGS demand an ACK too (§6.5.3); unread, they are bounded the same way.
#[test]
fn unread_settings_acks_are_enhance_your_calm() {
    let mut pair = response_in_progress_with_small_backlog();
    let mut frames = Vec::new();
    for _ in 0..200 {
        frames.extend((0..5).map(|_| Frame::Settings(Settings::default())));
        frames.push(frames::data(1, b"x", false));
    }
    pair.deliver(&frames);
    closed_with(&mut pair, Violation::AnswersNotRead);
}
