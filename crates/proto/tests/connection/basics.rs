//! The handshake, a plain exchange, and the journal (RFC 9113 §3.4, §5, §8).

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};

use baton_proto::h2::frame::{Frame, Reason, Settings};
use baton_proto::h2::{Config, ConnectionState, Event, PREFACE};
use baton_proto::{Phase, Processing};
use baton_testkit::Peer;
use baton_testkit::frames;
use baton_testkit::{Pair, ended, failure_of, sid};

#[test]
fn preface_settings_and_window_update_open_the_connection() {
    let mut pair = Pair::start(Config::default());
    let wire = pair.conn.poll_transmit(pair.now).to_vec();
    assert!(wire.starts_with(PREFACE), "RFC 9113 §3.4: the preface comes first");
    let mut peer = Peer::new();
    let frames = peer.receive(&wire);
    let Frame::Settings(s) = &frames[0] else { panic!("SETTINGS after the preface: {frames:?}") };
    assert!(!s.ack);
    assert_eq!(s.enable_push, Some(0), "§6.5.2: push disabled");
    assert_eq!(s.initial_window_size, Some(Config::default().initial_stream_window));
    assert_eq!(s.max_header_list_size, Some(Config::default().max_header_list_size));
    let Frame::WindowUpdate(w) = &frames[1] else { panic!("connection WINDOW_UPDATE: {frames:?}") };
    assert!(w.stream_id.is_zero());
    assert_eq!(w.increment, Config::default().initial_connection_window - 65_535);
}

#[test]
fn server_settings_are_acknowledged_and_reported() {
    let mut pair = Pair::start(Config::default());
    pair.flush();
    let server = Settings { max_concurrent_streams: Some(7), ..Settings::default() };
    pair.deliver(&[Frame::Settings(server)]);
    let frames = pair.flush();
    assert_eq!(frames, vec![Frame::Settings(Settings::ack())]);
    assert_eq!(pair.events(), vec![Event::SettingsChanged { max_concurrent_streams: 7 }]);
    assert_eq!(pair.conn.available_streams(), 7);
}

#[test]
fn first_server_frame_must_be_settings() {
    let mut pair = Pair::start(Config::default());
    pair.flush();
    pair.deliver(&[frames::ping([0; 8])]);
    let frames = pair.flush();
    let Some(Frame::GoAway(g)) = frames.last() else { panic!("GOAWAY expected: {frames:?}") };
    assert_eq!(g.error_code, Reason::PROTOCOL_ERROR);
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
}

#[test]
fn get_request_head_carries_pseudo_headers_first() {
    let mut pair = Pair::new();
    let uri: Uri = "https://example.com/a/b?c=d".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("x-trace", HeaderValue::from_static("abc"));
    headers.insert("connection", HeaderValue::from_static("keep-alive"));
    let id = pair.conn.send_request(&Method::GET, &uri, &headers, true, pair.now).unwrap();
    assert_eq!(id, sid(1));
    let frames = pair.flush();
    let [Frame::Headers(h)] = frames.as_slice() else { panic!("{frames:?}") };
    assert!(h.end_stream && h.end_headers);
    let fields = pair.peer.decode_block(&h.fragment).unwrap();
    let expect: Vec<(String, String)> = [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "example.com"),
        (":path", "/a/b?c=d"),
        ("x-trace", "abc"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(fields, expect, "§8.3.1 pseudo-headers first; §8.2.2 connection header dropped");
}

#[test]
fn response_head_body_and_end_are_reported_in_order() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    let head = pair.peer.headers(1, &[(":status", "200"), ("content-length", "5")], false);
    pair.deliver(&[head, frames::data(1, b"hel", false), frames::data(1, b"lo", true)]);
    let events = pair.events();
    let [
        Event::ResponseReceived { head, .. },
        Event::DataReceived { data: d1, .. },
        Event::DataReceived { data: d2, .. },
        Event::StreamEnded { stream_id },
    ] = events.as_slice()
    else {
        panic!("{events:#?}")
    };
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers["content-length"], "5");
    assert_eq!((&d1[..], &d2[..]), (&b"hel"[..], &b"lo"[..]));
    assert_eq!(*stream_id, id);
    assert_eq!(pair.conn.active_streams(), 0);
}

#[test]
fn informational_heads_come_before_the_final_one() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    let h1 = pair.peer.response(1, "103", false);
    let h2 = pair.peer.response(1, "100", false);
    let fin = pair.peer.response(1, "204", true);
    pair.deliver(&[h1, h2, fin]);
    let events = pair.events();
    assert!(matches!(&events[0], Event::InformationalReceived { head, .. } if head.status == 103));
    assert!(matches!(&events[1], Event::InformationalReceived { head, .. } if head.status == 100));
    assert!(matches!(&events[2], Event::ResponseReceived { head, .. } if head.status == 204));
    assert!(ended(&events, id));
}

#[test]
fn response_trailers_end_the_stream() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    let trailers = pair.peer.headers(1, &[("grpc-status", "0")], true);
    pair.deliver(&[head, frames::data(1, b"x", false), trailers]);
    let events = pair.events();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TrailersReceived { trailers, .. } if trailers["grpc-status"] == "0"))
    );
    assert!(ended(&events, id));
}

#[test]
fn request_trailers_follow_the_body() {
    let mut pair = Pair::new();
    let id = pair.post("/", b"abc", false);
    let mut t = HeaderMap::new();
    t.insert("x-checksum", HeaderValue::from_static("1"));
    pair.conn.send_trailers(id, t).unwrap();
    let frames = pair.flush();
    let [Frame::Headers(_), Frame::Data(d), Frame::Headers(tr)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    assert!(!d.end_stream && &d.data[..] == b"abc");
    assert!(tr.end_stream, "§8.1: trailers end the stream");
    let fields = pair.peer.decode_block(&tr.fragment).unwrap();
    assert_eq!(fields, vec![("x-checksum".to_string(), "1".to_string())]);
}

#[test]
fn headers_written_only_when_the_whole_block_is_confirmed() {
    let mut pair = Pair::new();
    // The transport accepts 5 bytes at a time and stops after 12: the
    // HEADERS frame is longer than that.
    pair.write_chunk = 5;
    pair.write_budget = Some(12);
    let id = pair.get("/some/long/path/to/make/the/block/longer");
    pair.flush();
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::HeadersQueued));
    pair.write_budget = None;
    pair.flush();
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::BodyWritten), "GET: head is the whole request");
}

#[test]
fn body_progress_is_journaled_per_confirmed_frame() {
    let mut pair = Pair::new();
    let id = pair.request(Method::POST, "/", false);
    pair.flush();
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::HeadersWritten));
    pair.conn.send_data(id, Bytes::from(vec![7u8; 20_000]), false).unwrap();
    pair.flush();
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::BodyPartlyWritten(20_000)));
    pair.conn.send_data(id, Bytes::new(), true).unwrap();
    pair.flush();
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::BodyWritten));
}

#[test]
fn eof_before_the_head_is_written_is_not_sent() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    // Nothing flushed.
    pair.conn.handle_eof(pair.now);
    let events = pair.events();
    let f = failure_of(&events, id);
    assert_eq!(f.processing, Processing::NotSent);
    assert!(matches!(events.last(), Some(Event::Closed(_))));
}

#[test]
fn taken_bytes_count_as_written_only_when_confirmed() {
    let mut pair = Pair::new();
    let id = pair.request(Method::POST, "/", false);
    let head = pair.conn.take_transmit(pair.now);
    pair.conn.send_data(id, Bytes::from_static(b"body"), true).unwrap();
    let body = pair.conn.take_transmit(pair.now);
    assert!(!head.is_empty() && !body.is_empty());
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::HeadersQueued));
    pair.conn.handle_written(head.len() - 1);
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::HeadersQueued));
    pair.conn.handle_written(1);
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::HeadersWritten));
    pair.conn.handle_written(body.len());
    assert_eq!(pair.conn.stream_phase(id), Some(Phase::BodyWritten));
    let mut peer = Peer::new();
    peer.receive(PREFACE);
    let frames = peer.receive(&[&head[..], &body[..]].concat());
    assert!(matches!(frames.as_slice(), [Frame::Headers(_), Frame::Data(d)] if d.end_stream));
}

/// h2c prior knowledge to a server that speaks only HTTP/1.1: its answer
/// is said to be HTTP/1.x, not read as a frame of some megabytes (RFC 9113
/// §3.4: the server's preface is SETTINGS). Delivered in pieces, as it
/// may arrive.
#[test]
fn an_http1_answer_to_the_preface_is_named() {
    let mut pair = Pair::start(Config::default());
    pair.flush();
    for piece in [&b"HTT"[..], b"P/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"] {
        pair.deliver_bytes(piece);
    }
    let events = pair.events();
    let Some(Event::Closed(baton_proto::h2::CloseCause::Violation(v))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(*v, baton_proto::h2::Violation::AnsweredInHttp1);
    assert_eq!(v.reason(), Reason::PROTOCOL_ERROR);
}
