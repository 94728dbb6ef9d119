//! Deadlines, on the simulated clock: SETTINGS ACK (RFC 9113 §6.5.3),
//! keep-alive PING, idle close, GOAWAY drain, zero-window stall.

use std::time::Duration;

use crate::config;
use baton_proto::h2::frame::{Frame, Reason, Settings};
use baton_proto::h2::{CloseCause, Config, ConnectionState, Event, FailureCause};
use baton_testkit::frames;
use baton_testkit::{Pair, ended, failure_of};

#[test]
fn unacknowledged_settings_end_in_settings_timeout() {
    let mut pair = Pair::start(Config::default());
    pair.flush();
    pair.deliver(&[Frame::Settings(Settings::default())]);
    pair.flush();
    pair.events();
    pair.advance(Duration::from_secs(9));
    assert_eq!(pair.conn.state(), ConnectionState::Open);
    assert!(pair.step_timer());
    let frames = pair.flush();
    assert!(matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::SETTINGS_TIMEOUT));
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
}

#[test]
fn keepalive_ping_is_sent_and_its_loss_closes() {
    let config = config(|c| {
        c.keepalive_interval = Some(Duration::from_secs(5));
        c.keepalive_timeout = Duration::from_secs(2);
    });
    let mut pair = Pair::with(config, Settings::default());
    let id = pair.get("/");
    pair.flush();
    pair.advance(Duration::from_secs(5));
    let frames = pair.flush();
    let [Frame::Ping(p)] = frames.as_slice() else { panic!("{frames:?}") };
    assert!(!p.ack);
    // Answered: nothing happens, the next PING is scheduled.
    pair.deliver(&[Frame::Ping(baton_proto::h2::frame::Ping { ack: true, payload: p.payload })]);
    assert!(pair.events().is_empty(), "keep-alive ACKs are not reported");
    pair.advance(Duration::from_secs(5));
    assert!(matches!(pair.flush().as_slice(), [Frame::Ping(_)]));
    // Not answered: the connection is dead, the stream fails.
    pair.advance(Duration::from_secs(2));
    let events = pair.events();
    assert!(matches!(failure_of(&events, id).cause, FailureCause::ConnectionClosed(CloseCause::Timeout(_))));
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
}

#[test]
fn user_ping_is_answered_with_an_event() {
    let mut pair = Pair::new();
    pair.conn.ping(*b"12345678");
    let frames = pair.flush();
    assert!(matches!(frames.as_slice(), [Frame::Ping(p)] if !p.ack));
    pair.deliver(&[Frame::Ping(baton_proto::h2::frame::Ping { ack: true, payload: *b"12345678" })]);
    assert_eq!(pair.events(), vec![Event::PingAck { payload: *b"12345678" }]);
}

#[test]
fn server_ping_is_echoed_with_ack() {
    let mut pair = Pair::new();
    pair.deliver(&[frames::ping(*b"abcdefgh")]);
    let frames = pair.flush();
    assert_eq!(frames, vec![Frame::Ping(baton_proto::h2::frame::Ping { ack: true, payload: *b"abcdefgh" })]);
}

#[test]
fn idle_connection_closes_gracefully() {
    // Without keep-alive PINGs: the two minutes with a stream open would
    // have one (keepalive.rs tests them).
    let config = config(|c| {
        c.idle_timeout = Some(Duration::from_secs(60));
        c.keepalive_interval = None;
    });
    let mut pair = Pair::with(config, Settings::default());
    let id = pair.get("/");
    pair.flush();
    pair.advance(Duration::from_secs(120));
    assert_eq!(pair.conn.state(), ConnectionState::Open, "not idle while a stream is open");
    let head = pair.peer.response(1, "204", true);
    pair.deliver(&[head]);
    assert!(ended(&pair.events(), id));
    pair.advance(Duration::from_secs(59));
    assert_eq!(pair.conn.state(), ConnectionState::Open);
    pair.advance(Duration::from_secs(1));
    let frames = pair.flush();
    assert!(matches!(frames.as_slice(), [Frame::GoAway(g)] if g.error_code == Reason::NO_ERROR));
    assert!(matches!(pair.events().last(), Some(Event::Closed(CloseCause::Timeout(_)))));
}

#[test]
fn client_go_away_drain_is_bounded() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    pair.conn.go_away(Reason::NO_ERROR, pair.now);
    pair.advance(Duration::from_secs(30));
    let events = pair.events();
    assert_eq!(failure_of(&events, id).processing, baton_proto::Processing::MaybeProcessed);
    assert!(matches!(
        events.last(),
        Some(Event::Closed(CloseCause::Timeout(baton_proto::h2::Deadline::GoAwayDrain)))
    ));
}

/// A shutdown with a deadline: GOAWAY(NO_ERROR) at once, a stream that
/// finishes in time completes, one still open at the deadline fails with
/// the connection.
#[test]
fn a_shutdown_drains_until_its_deadline() {
    let mut pair = Pair::new();
    let quick = pair.get("/");
    let slow = pair.get("/");
    pair.flush();
    pair.conn.go_away_until(pair.now + Duration::from_secs(2), pair.now);
    let frames = pair.flush();
    assert!(
        matches!(frames.as_slice(), [Frame::GoAway(g)] if g.error_code == Reason::NO_ERROR),
        "{frames:?}"
    );
    let head = pair.peer.response(1, "200", true);
    pair.deliver(&[head]);
    assert!(ended(&pair.events(), quick));
    pair.advance(Duration::from_millis(1_999));
    assert!(pair.events().is_empty(), "still draining");
    pair.advance(Duration::from_millis(1));
    let events = pair.events();
    assert_eq!(failure_of(&events, slow).processing, baton_proto::Processing::MaybeProcessed);
    assert!(matches!(
        events.last(),
        Some(Event::Closed(CloseCause::Timeout(baton_proto::h2::Deadline::GoAwayDrain)))
    ));
    // A later, earlier deadline wins; a later one does not move it back.
    let mut pair = Pair::new();
    pair.get("/");
    pair.conn.go_away_until(pair.now + Duration::from_secs(5), pair.now);
    pair.conn.go_away_until(pair.now + Duration::from_secs(9), pair.now);
    assert_eq!(pair.conn.poll_timeout(), Some(pair.now + Duration::from_secs(5)));
}

#[test]
fn zero_window_stall_fails_the_stream_instead_of_hanging() {
    let config = config(|c| c.send_stall_timeout = Some(Duration::from_secs(10)));
    let server = Settings { initial_window_size: Some(0), ..Settings::default() };
    let mut pair = Pair::with(config, server);
    let stalled = pair.post("/", b"never", true);
    let fine = pair.get("/");
    pair.flush();
    pair.events();
    pair.advance(Duration::from_secs(9));
    assert!(pair.events().is_empty());
    pair.advance(Duration::from_secs(1));
    let events = pair.events();
    let f = failure_of(&events, stalled);
    assert_eq!(f.cause, FailureCause::Violation(baton_proto::h2::Violation::SendWindowStalled));
    assert_eq!(f.cause.reason(), Some(Reason::CANCEL));
    assert_eq!(f.processing, baton_proto::Processing::MaybeProcessed, "the head was sent");
    assert!(events.iter().all(|e| !matches!(e, Event::StreamFailed(f) if f.stream_id == fine)));
    let frames = pair.flush();
    assert!(frames.iter().any(|f| matches!(f, Frame::RstStream(r) if r.stream_id == stalled)));
}

#[test]
fn reset_streams_are_forgotten_after_the_expiry() {
    let config = config(|c| c.reset_stream_expiry = Duration::from_secs(5));
    let mut pair = Pair::with(config, Settings::default());
    let id = pair.get("/");
    pair.flush();
    pair.conn.reset(id, Reason::CANCEL, pair.now);
    let frames = pair.flush();
    assert_eq!(frames, vec![frames::rst(1, Reason::CANCEL)]);
    // Within the expiry, late DATA is silently dropped.
    pair.deliver(&[frames::data(1, b"late", false)]);
    assert!(pair.flush().iter().all(|f| !matches!(f, Frame::RstStream(_))));
    pair.advance(Duration::from_secs(5));
    // After it, the stream is just closed: a frame on it is a connection
    // error STREAM_CLOSED (§5.1), never an RST_STREAM on a closed stream.
    pair.deliver(&[frames::data(1, b"later", false)]);
    let frames = pair.flush();
    assert!(!frames.iter().any(|f| matches!(f, Frame::RstStream(_))), "{frames:?}");
    assert!(
        matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::STREAM_CLOSED),
        "{frames:?}"
    );
}
