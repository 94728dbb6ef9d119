//! Flow control (RFC 9113 §5.2, §6.9) and the peer's SETTINGS honoured on
//! the send side (§6.5.2).

use bytes::Bytes;

use crate::config;
use baton_proto::h2::frame::{Frame, Reason, Settings};
use baton_proto::h2::{Config, ConnectionState, Event, FailureCause, SendError};
use baton_testkit::frames;
use baton_testkit::{Pair, failure_of};

fn data_frames(frames: &[Frame]) -> Vec<(u32, usize, bool)> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Data(d) => Some((d.stream_id.value(), d.data.len(), d.end_stream)),
            _ => None,
        })
        .collect()
}

#[test]
fn send_stops_at_the_stream_window_and_resumes_on_window_update() {
    let server = Settings { initial_window_size: Some(1_000), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    let id = pair.post("/", &[1; 2_500], true);
    let frames = pair.flush();
    assert_eq!(data_frames(&frames), vec![(1, 1_000, false)]);
    pair.deliver(&[frames::window_update(1, 1_000)]);
    assert_eq!(data_frames(&pair.flush()), vec![(1, 1_000, false)]);
    pair.deliver(&[frames::window_update(1, 5_000)]);
    assert_eq!(data_frames(&pair.flush()), vec![(1, 500, true)]);
    assert_eq!(pair.conn.send_buffered(id), Some(0));
}

#[test]
fn send_stops_at_the_connection_window() {
    // The connection window starts at 65,535 whatever the settings say.
    let server = Settings { initial_window_size: Some(1 << 20), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    pair.post("/", &[1; 100_000], true);
    let sent: usize = data_frames(&pair.flush()).iter().map(|d| d.1).sum();
    assert_eq!(sent, 65_535);
    pair.deliver(&[frames::window_update(0, 40_000)]);
    let frames = pair.flush();
    let sent: usize = data_frames(&frames).iter().map(|d| d.1).sum();
    assert_eq!(sent, 100_000 - 65_535);
    assert!(data_frames(&frames).last().unwrap().2, "END_STREAM on the last frame");
}

#[test]
fn data_frames_respect_the_peer_max_frame_size() {
    let server =
        Settings { max_frame_size: Some(20_000), initial_window_size: Some(1 << 20), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    pair.deliver(&[frames::window_update(0, 1 << 20)]);
    pair.post("/", &[1; 50_000], true);
    let sizes: Vec<_> = data_frames(&pair.flush()).iter().map(|d| d.1).collect();
    assert_eq!(sizes, vec![20_000, 20_000, 10_000]);
}

#[test]
fn settings_initial_window_change_applies_to_open_streams() {
    let server = Settings { initial_window_size: Some(100), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    pair.post("/", &[1; 1_000], true);
    assert_eq!(data_frames(&pair.flush()), vec![(1, 100, false)]);
    // §6.9.2: shrinking makes the window negative (100 - 100 - 50 = -50) ...
    pair.deliver(&[Frame::Settings(Settings { initial_window_size: Some(50), ..Settings::default() })]);
    assert_eq!(data_frames(&pair.flush()), vec![]);
    // ... and growing by 1,000 makes it 950.
    pair.deliver(&[Frame::Settings(Settings { initial_window_size: Some(1_050), ..Settings::default() })]);
    assert_eq!(data_frames(&pair.flush()), vec![(1, 900, true)]);
}

#[test]
fn window_update_overflow_is_a_flow_control_error() {
    let mut pair = Pair::new();
    let id = pair.post("/", b"x", false);
    pair.flush();
    pair.deliver(&[frames::window_update(1, (1 << 31) - 1)]);
    let f = failure_of(&pair.events(), id);
    assert_eq!(f.cause, FailureCause::Violation(baton_proto::h2::Violation::StreamWindowOverflow));
    let frames = pair.flush();
    assert!(matches!(frames.as_slice(), [Frame::RstStream(r)] if r.reason == Reason::FLOW_CONTROL_ERROR));
    pair.deliver(&[frames::window_update(0, (1 << 31) - 1)]);
    let frames = pair.flush();
    assert!(matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::FLOW_CONTROL_ERROR));
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
}

#[test]
fn receive_beyond_the_stream_window_is_a_stream_error() {
    let config = config(|c| c.initial_stream_window = 100);
    let mut pair = Pair::with(config, Settings::default());
    let id = pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head, frames::data(1, &[0; 100], false), frames::data(1, &[0; 1], false)]);
    let f = failure_of(&pair.events(), id);
    assert_eq!(f.cause, FailureCause::Violation(baton_proto::h2::Violation::StreamWindowExceeded));
    assert_eq!(f.cause.reason(), Some(Reason::FLOW_CONTROL_ERROR));
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

#[test]
fn receive_beyond_the_connection_window_is_a_connection_error() {
    let config = config(|c| {
        c.initial_connection_window = 65_535;
        c.initial_stream_window = 1 << 20;
    });
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    let mut frames = vec![head];
    for _ in 0..4 {
        frames.push(frames::data(1, &[0; 16_384], false));
    }
    pair.deliver(&frames);
    let frames = pair.flush();
    assert!(matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::FLOW_CONTROL_ERROR));
}

#[test]
fn released_data_reopens_both_windows() {
    let config = config(|c| {
        c.initial_stream_window = 1_000;
        c.initial_connection_window = 65_535;
    });
    let mut pair = Pair::with(config, Settings::default());
    let id = pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head, frames::data(1, &[0; 1_000], false)]);
    // Nothing is released until the application says so: back-pressure.
    assert!(pair.flush().is_empty());
    pair.conn.release_capacity(id, 1_000);
    let frames = pair.flush();
    assert!(frames.contains(&frames::window_update(1, 1_000)), "{frames:?}");
}

#[test]
fn an_ended_streams_bytes_reopen_only_the_connection_window() {
    let config = config(|c| {
        c.initial_stream_window = 65_535;
        c.initial_connection_window = 65_535;
    });
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    let body: Vec<Frame> = (0..4).map(|i| frames::data(1, &[0; 15_000], i == 3)).collect();
    pair.deliver(&[vec![head], body].concat());
    assert!(pair.flush().is_empty(), "nothing released yet");
    // Below a quarter of the connection window open: announced at once.
    pair.conn.release_connection_capacity(60_000);
    assert_eq!(pair.flush(), vec![frames::window_update(0, 60_000)]);
}

#[test]
fn padding_is_released_without_the_application() {
    let config = config(|c| c.initial_stream_window = 100);
    let mut pair = Pair::with(config, Settings::default());
    let id = pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "200", false);
    let padded = Frame::Data(baton_proto::h2::frame::Data {
        stream_id: id,
        data: Bytes::from_static(b"abc"),
        end_stream: false,
        pad_len: Some(60),
    });
    pair.deliver(&[head, padded]);
    let events = pair.events();
    assert!(events.iter().any(|e| matches!(e, Event::DataReceived { data, .. } if &data[..] == b"abc")));
    let frames = pair.flush();
    assert!(frames.contains(&frames::window_update(1, 61)), "61 padding bytes released: {frames:?}");
}

#[test]
fn max_concurrent_streams_is_honoured() {
    let server = Settings { max_concurrent_streams: Some(2), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    pair.get("/");
    pair.get("/");
    assert_eq!(pair.conn.available_streams(), 0);
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let err = pair
        .conn
        .send_request(&http::Method::GET, &uri, &http::HeaderMap::new(), true, pair.now)
        .unwrap_err();
    assert_eq!(err, SendError::ConcurrencyLimit);
    pair.flush();
    let head = pair.peer.response(1, "204", true);
    pair.deliver(&[head]);
    assert_eq!(pair.conn.available_streams(), 1);
}

#[test]
fn peer_max_header_list_size_is_honoured() {
    let server = Settings { max_header_list_size: Some(200), ..Settings::default() };
    let mut pair = Pair::with(Config::default(), server);
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let mut headers = http::HeaderMap::new();
    headers.insert("x-big", http::HeaderValue::from_bytes(&[b'a'; 300]).unwrap());
    let err = pair.conn.send_request(&http::Method::GET, &uri, &headers, true, pair.now).unwrap_err();
    assert!(matches!(err, SendError::HeaderListTooLarge { max: 200, .. }), "{err:?}");
}

#[test]
fn request_head_larger_than_a_frame_uses_continuation() {
    let server = Settings::default();
    let mut pair = Pair::with(Config::default(), server);
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let mut headers = http::HeaderMap::new();
    let mut sent = Vec::new();
    for i in 0..8 {
        let value: String = (0..5_000).map(|j| char::from(b'a' + ((i * 7 + j) % 26) as u8)).collect();
        headers.insert(
            http::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap(),
            http::HeaderValue::from_str(&value).unwrap(),
        );
        sent.push((format!("x-h{i}"), value));
    }
    pair.conn.send_request(&http::Method::GET, &uri, &headers, true, pair.now).unwrap();
    let frames = pair.flush();
    let Frame::Headers(h) = &frames[0] else { panic!() };
    assert!(!h.end_headers && h.end_stream);
    let mut block = h.fragment.to_vec();
    for f in &frames[1..] {
        let Frame::Continuation(c) = f else { panic!("only CONTINUATION follows: {f:?}") };
        block.extend_from_slice(&c.fragment);
    }
    assert!(matches!(frames.last(), Some(Frame::Continuation(c)) if c.end_headers));
    let fields = pair.peer.decode_block(&Bytes::from(block)).unwrap();
    assert_eq!(fields.len(), 4 + 8);
    assert_eq!(fields[4..], sent[..], "the fields arrive whole, in order");
}

#[test]
fn send_buffer_applies_back_pressure() {
    let config = config(|c| c.max_send_buffer = 1_000);
    let server = Settings { initial_window_size: Some(0), ..Settings::default() };
    let mut pair = Pair::with(config, server);
    let id = pair.post("/", &[0; 800], false);
    let err = pair.conn.send_data(id, Bytes::from_static(&[0; 300]), false).unwrap_err();
    assert_eq!(err, SendError::SendBufferFull(id));
    pair.deliver(&[frames::window_update(1, 800)]);
    pair.flush();
    assert!(pair.events().iter().any(|e| matches!(e, Event::Writable { stream_id } if *stream_id == id)));
    pair.conn.send_data(id, Bytes::from_static(&[0; 300]), true).unwrap();
}
