//! Keep-alive PINGs on the simulated clock (RFC 9113 §6.7; the policy is in
//! the engine's `conn/keepalive.rs`): a PING after `keepalive_interval` of
//! silence while streams are open, any byte as its answer, the connection
//! closed `keepalive_timeout` after an unanswered one, and no more than two
//! PINGs in a row with no HEADERS or DATA before the interval becomes five
//! minutes (gRPC servers' "too_many_pings").

use std::time::Duration;

use crate::config;
use baton_proto::Processing;
use baton_proto::h2::frame::{Frame, Ping, Settings};
use baton_proto::h2::{CloseCause, Config, ConnectionState, Deadline, Event, FailureCause};
use baton_testkit::frames;
use baton_testkit::{Pair, ended, failure_of};

const INTERVAL: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(5);
const QUIET: Duration = Duration::from_secs(300);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The PING among `frames` (the only frame expected), its payload.
fn the_ping(frames: &[Frame]) -> [u8; 8] {
    match frames {
        [Frame::Ping(p)] if !p.ack => p.payload,
        other => panic!("expected one PING, got {other:?}"),
    }
}

fn ack(payload: [u8; 8]) -> Frame {
    Frame::Ping(Ping { ack: true, payload })
}

#[test]
fn the_defaults_are_five_seconds_of_silence_five_to_answer_and_not_while_idle() {
    let c = Config::default();
    assert_eq!(c.keepalive_interval, Some(INTERVAL));
    assert_eq!(c.keepalive_timeout, TIMEOUT);
    assert!(!c.keepalive_while_idle);
    assert_eq!(c.keepalive_max_pings_without_data, 2);
}

#[test]
fn an_idle_connection_is_never_pinged() {
    let mut pair = Pair::new();
    assert_eq!(pair.conn.poll_timeout(), None, "no timer while idle");
    pair.advance(Duration::from_secs(3600));
    assert!(pair.flush().is_empty());
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

#[test]
fn silence_with_a_stream_open_sends_a_ping_and_its_ack_is_no_event() {
    let mut pair = Pair::new();
    pair.get("/slow");
    pair.flush();
    pair.advance(INTERVAL - ms(1));
    assert!(pair.flush().is_empty(), "not before the interval");
    pair.advance(ms(1));
    let payload = the_ping(&pair.flush());
    pair.advance(ms(20));
    pair.deliver(&[ack(payload)]);
    assert!(pair.events().is_empty(), "a keep-alive ACK is not reported");
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

#[test]
fn an_unanswered_ping_ends_the_connection_and_its_streams_fail_with_their_verdicts() {
    let mut pair = Pair::new();
    let get = pair.get("/slow");
    pair.flush();
    pair.advance(INTERVAL);
    the_ping(&pair.flush());
    pair.advance(TIMEOUT - ms(1));
    assert_eq!(pair.conn.state(), ConnectionState::Open);
    pair.advance(ms(1));
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
    let events = pair.events();
    let failure = failure_of(&events, get);
    assert!(matches!(
        failure.cause,
        FailureCause::ConnectionClosed(CloseCause::Timeout(Deadline::KeepAlive))
    ));
    // Its head was written and no GOAWAY says otherwise (DESIGN.md §2).
    assert_eq!(failure.processing, Processing::MaybeProcessed);
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Timeout(Deadline::KeepAlive)))));
}

/// Any byte answers: an ACK stuck behind response data must not end a
/// healthy connection, and a connection that keeps delivering never pings.
#[test]
fn anything_received_answers_the_ping_and_restarts_the_silence() {
    let mut pair = Pair::new();
    let get = pair.get("/slow");
    pair.flush();
    pair.advance(INTERVAL);
    the_ping(&pair.flush());
    pair.advance(Duration::from_secs(4));
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head]);
    pair.advance(Duration::from_secs(2));
    assert_eq!(pair.conn.state(), ConnectionState::Open, "the response head answered the PING");
    assert!(pair.flush().is_empty());
    // Body data every 4 s: never silent for 5 s, never a PING.
    for _ in 0..10 {
        pair.deliver(&[frames::data(1, b"tick", false)]);
        pair.advance(Duration::from_secs(4));
        assert!(pair.flush().iter().all(|f| !matches!(f, Frame::Ping(_))));
    }
    // Silent again: a new PING, 5 s after the last byte.
    pair.advance(Duration::from_secs(1));
    the_ping(&pair.flush());
    pair.deliver(&[frames::data(1, b"", true)]);
    assert!(ended(&pair.events(), get));
}

/// A request on a connection that has been silent for longer than the
/// interval has its PING at once, with it (Chrome's check of a connection
/// "at risk of loss"): a blackholed idle connection is found dead
/// `keepalive_timeout` after the request, not the request's own deadline.
#[test]
fn a_request_on_a_connection_silent_for_long_pings_at_once() {
    let mut pair = Pair::new();
    pair.advance(Duration::from_secs(60));
    let get = pair.get("/");
    assert!(pair.conn.poll_timeout().is_some_and(|at| at <= pair.now), "the PING is due now");
    pair.advance(Duration::ZERO);
    let frames = pair.flush();
    assert!(matches!(frames.as_slice(), [Frame::Headers(_), Frame::Ping(p)] if !p.ack), "{frames:?}");
    pair.advance(TIMEOUT);
    let events = pair.events();
    assert_eq!(failure_of(&events, get).processing, Processing::MaybeProcessed);
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
}

/// A request soon after the last byte waits for the rest of the interval.
#[test]
fn a_request_soon_after_traffic_pings_only_when_the_silence_reaches_the_interval() {
    let mut pair = Pair::new();
    pair.advance(Duration::from_secs(2));
    pair.deliver(&[frames::ping(*b"server!!")]);
    pair.flush();
    pair.advance(Duration::from_secs(1));
    pair.get("/");
    pair.flush();
    assert_eq!(pair.conn.poll_timeout(), Some(pair.now + Duration::from_secs(4)));
}

#[test]
fn the_last_stream_ending_stops_the_pings() {
    let mut pair = Pair::new();
    let get = pair.get("/");
    pair.flush();
    let head = pair.peer.response(1, "204", true);
    pair.deliver(&[head]);
    assert!(ended(&pair.events(), get));
    assert_eq!(pair.conn.poll_timeout(), None);
    pair.advance(Duration::from_secs(3600));
    assert!(pair.flush().is_empty());
}

#[test]
fn while_idle_pings_a_connection_with_no_stream() {
    let config = config(|c| c.keepalive_while_idle = true);
    let mut pair = Pair::with(config, Settings::default());
    pair.advance(INTERVAL);
    let payload = the_ping(&pair.flush());
    pair.deliver(&[ack(payload)]);
    pair.advance(TIMEOUT);
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

#[test]
fn none_turns_it_off() {
    let config = config(|c| c.keepalive_interval = None);
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/slow");
    pair.flush();
    assert_eq!(pair.conn.poll_timeout(), None);
    pair.advance(Duration::from_secs(3600));
    assert!(pair.flush().is_empty());
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

/// gRPC servers strike a PING that comes within 5 minutes of the last with
/// no HEADERS or DATA sent between, and close the connection after two
/// strikes. Two quick PINGs per silence cost one strike; then one every
/// five minutes costs none; HEADERS or DATA start the count again.
#[test]
fn after_two_pings_without_data_the_interval_becomes_five_minutes() {
    let mut pair = Pair::new();
    pair.get("/watch");
    pair.flush();
    for _ in 0..2 {
        pair.advance(INTERVAL);
        let payload = the_ping(&pair.flush());
        pair.advance(ms(10));
        pair.deliver(&[ack(payload)]);
    }
    pair.advance(QUIET - ms(1));
    assert!(pair.flush().is_empty(), "no third PING within five minutes");
    pair.advance(ms(1));
    let payload = the_ping(&pair.flush());
    pair.advance(ms(10));
    pair.deliver(&[ack(payload)]);
    pair.advance(QUIET);
    the_ping(&pair.flush());
    // The server answers with data: quick PINGs again after that.
    let head = pair.peer.response(1, "200", false);
    pair.deliver(&[head]);
    pair.advance(INTERVAL);
    the_ping(&pair.flush());
    assert_eq!(pair.conn.state(), ConnectionState::Open);
}

#[test]
fn a_limit_of_zero_keeps_the_interval() {
    let config = config(|c| c.keepalive_max_pings_without_data = 0);
    let mut pair = Pair::with(config, Settings::default());
    pair.get("/watch");
    pair.flush();
    for _ in 0..5 {
        pair.advance(INTERVAL);
        let payload = the_ping(&pair.flush());
        pair.deliver(&[ack(payload)]);
    }
}
