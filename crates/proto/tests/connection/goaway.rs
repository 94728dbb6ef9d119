//! GOAWAY (RFC 9113 §6.8, DESIGN.md §3 rule 4) and the engine half of the
//! DESIGN.md §7 scenarios: for every stream, what the engine reports.

use http::Method;

use crate::config;
use baton_proto::h2::frame::{Frame, Reason, StreamId};
use baton_proto::h2::{CloseCause, ConnectionState, Event, FailureCause, SendError};
use baton_proto::{Phase, Processing};
use baton_testkit::frames;
use baton_testkit::{Pair, ended, failure_of, sid};

/// Answers `id` with a complete 200 and a small body.
fn respond(pair: &mut Pair, id: u32) {
    let head = pair.peer.response(id, "200", false);
    pair.deliver(&[head, frames::data(id, b"ok", true)]);
}

fn go_away_of(events: &[Event]) -> Vec<(StreamId, Reason)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::GoAwayReceived(g) => Some((g.last_stream_id, g.error_code)),
            _ => None,
        })
        .collect()
}

/// S1: GOAWAY crosses a new stream on an idle pooled connection.
#[test]
fn s1_go_away_crossing_a_new_stream_fails_it_as_not_processed() {
    let mut pair = Pair::new();
    let a = pair.get("/a");
    pair.flush();
    respond(&mut pair, 1);
    assert!(ended(&pair.events(), a));
    // The connection sits idle; a new request goes out as the server's
    // GOAWAY(last=1) is already on its way.
    let b = pair.get("/b");
    pair.flush();
    pair.deliver(&[frames::go_away(1, Reason::NO_ERROR)]);
    let events = pair.events();
    assert_eq!(go_away_of(&events), vec![(sid(1), Reason::NO_ERROR)]);
    let f = failure_of(&events, b);
    assert_eq!(f.processing, Processing::NotProcessed);
    assert!(matches!(f.cause, FailureCause::GoAway(ref g) if g.last_stream_id == sid(1)));
    assert_eq!(pair.conn.state(), ConnectionState::Closed, "drained: nothing left");
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Drained))));
}

/// S2: GOAWAY(N, NO_ERROR), connection left open, GETs in flight both sides.
#[test]
fn s2_streams_above_last_fail_and_streams_below_complete() {
    let mut pair = Pair::new();
    let ids: Vec<_> = (0..4).map(|i| pair.get(&format!("/{i}"))).collect();
    pair.flush();
    pair.deliver(&[frames::go_away_debug(3, Reason::NO_ERROR, b"rotate")]);
    let events = pair.events();
    assert_eq!(pair.conn.state(), ConnectionState::Draining);
    for id in &ids[2..] {
        let f = failure_of(&events, *id);
        assert_eq!(f.processing, Processing::NotProcessed, "stream {id}");
        assert_eq!(f.phase, Phase::BodyWritten);
        let g = f.go_away.expect("journal carries the GOAWAY");
        assert_eq!(
            (g.last_stream_id, g.error_code, &g.debug_data[..]),
            (sid(3), Reason::NO_ERROR, &b"rotate"[..])
        );
    }
    // No new streams on a draining connection.
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let err =
        pair.conn.send_request(&Method::GET, &uri, &http::HeaderMap::new(), true, pair.now).unwrap_err();
    assert!(matches!(err, SendError::GoingAway(Some(ref g)) if g.last_stream_id == sid(3)));
    assert_eq!(pair.conn.available_streams(), 0);
    respond(&mut pair, 1);
    respond(&mut pair, 3);
    let events = pair.events();
    assert!(ended(&events, ids[0]) && ended(&events, ids[1]));
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Drained))));
}

/// S3/S4 (engine half): a POST above last_stream_id with its body partly
/// sent is NotProcessed, and the journal says how much body went out.
#[test]
fn s3_post_with_partial_body_above_last_is_not_processed() {
    let mut pair = Pair::new();
    let get = pair.get("/");
    let post = pair.post("/upload", &[1u8; 30_000], false);
    pair.flush();
    pair.deliver(&[frames::go_away(1, Reason::NO_ERROR)]);
    let f = failure_of(&pair.events(), post);
    assert_eq!(f.processing, Processing::NotProcessed);
    assert_eq!(f.body_sent, 30_000);
    assert_eq!(f.phase, Phase::BodyPartlyWritten(30_000));
    // The GET below completes.
    respond(&mut pair, 1);
    assert!(ended(&pair.events(), get));
    // Nothing more is sent for the failed POST.
    let frames = pair.flush();
    assert!(frames.iter().all(|f| f.stream_id() != post), "{frames:?}");
}

/// S5: GOAWAY(N) then an immediate close, a stream at or below N awaiting
/// its response: MaybeProcessed with the GOAWAY fields (the client's retry
/// policy retries GET/PUT once, fails POST).
#[test]
fn s5_close_after_go_away_leaves_streams_below_maybe_processed() {
    let mut pair = Pair::new();
    let get = pair.get("/");
    let post = pair.post("/", b"x", true);
    let above = pair.get("/late");
    pair.flush();
    pair.deliver(&[frames::go_away_debug(3, Reason::NO_ERROR, b"bye")]);
    pair.conn.handle_transport_error("connection reset by peer".into(), pair.now);
    let events = pair.events();
    for id in [get, post] {
        let f = failure_of(&events, id);
        assert_eq!(f.processing, Processing::MaybeProcessed, "stream {id}");
        assert!(matches!(f.cause, FailureCause::ConnectionClosed(CloseCause::Transport(_))));
        let g = f.go_away.expect("GOAWAY fields on the failure");
        assert_eq!((g.last_stream_id, &g.debug_data[..]), (sid(3), &b"bye"[..]));
    }
    assert_eq!(failure_of(&events, above).processing, Processing::NotProcessed);
}

/// S6: the response body is cut by a close.
#[test]
fn s6_body_cut_by_close_is_response_started() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    let head = pair.peer.headers(1, &[(":status", "200"), ("content-length", "100")], false);
    pair.deliver(&[head, frames::data(1, &[0; 40], false)]);
    pair.conn.handle_eof(pair.now);
    let f = failure_of(&pair.events(), id);
    assert_eq!(f.processing, Processing::ResponseStarted);
    assert_eq!(f.phase, Phase::ResponseBody(40));
    assert_eq!(f.body_received, 40);
}

/// S7: S3 and S5 at once: each stream is classified by its own id.
#[test]
fn s7_each_stream_is_classified_by_its_own_id() {
    let mut pair = Pair::new();
    let below_post = pair.post("/a", b"body", true); // 1
    let below_get = pair.get("/b"); // 3
    let above_post = pair.post("/c", &[0; 1000], false); // 5
    let written_above = pair.get("/d"); // 7
    pair.flush();
    let queued = pair.get("/e"); // 9, queued, not flushed
    pair.deliver(&[frames::go_away(3, Reason::NO_ERROR)]);
    pair.conn.handle_eof(pair.now);
    let events = pair.events();
    assert_eq!(failure_of(&events, below_post).processing, Processing::MaybeProcessed);
    assert_eq!(failure_of(&events, below_get).processing, Processing::MaybeProcessed);
    assert_eq!(failure_of(&events, above_post).processing, Processing::NotProcessed);
    assert_eq!(failure_of(&events, written_above).processing, Processing::NotProcessed);
    // Its HEADERS were still queued at the GOAWAY and would have gone out
    // behind the frames before them: the server ignores them (§6.8).
    assert_eq!(failure_of(&events, queued).processing, Processing::NotProcessed);
}

/// S8: double GOAWAY (2^31-1 + PING, then the real id).
#[test]
fn s8_double_go_away_fails_only_the_streams_in_between() {
    let mut pair = Pair::new();
    let ids: Vec<_> = (0..5).map(|i| pair.get(&format!("/{i}"))).collect(); // 1,3,5,7,9
    pair.flush();
    pair.deliver(&[frames::go_away(StreamId::MAX.value(), Reason::NO_ERROR), frames::ping(*b"drain!!!")]);
    let events = pair.events();
    assert!(events.iter().all(|e| !matches!(e, Event::StreamFailed(_))), "first GOAWAY fails nothing");
    assert_eq!(pair.conn.state(), ConnectionState::Draining, "no new streams after the first");
    let frames = pair.flush();
    assert!(frames.iter().any(|f| matches!(f, Frame::Ping(p) if p.ack && &p.payload == b"drain!!!")));
    pair.deliver(&[frames::go_away(5, Reason::NO_ERROR)]);
    let events = pair.events();
    let failed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::StreamFailed(f) => Some((f.stream_id, f.processing)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, vec![(ids[3], Processing::NotProcessed), (ids[4], Processing::NotProcessed)]);
    for id in [1, 3, 5] {
        respond(&mut pair, id);
    }
    let events = pair.events();
    assert!(ids[..3].iter().all(|id| ended(&events, *id)));
    assert_eq!(pair.conn.go_aways_received(), 2);
}

#[test]
fn go_away_raising_last_stream_id_is_a_protocol_error() {
    let mut pair = Pair::new();
    pair.get("/");
    pair.flush();
    pair.deliver(&[frames::go_away(1, Reason::NO_ERROR), frames::go_away(3, Reason::NO_ERROR)]);
    let frames = pair.flush();
    assert!(matches!(frames.last(), Some(Frame::GoAway(g)) if g.error_code == Reason::PROTOCOL_ERROR));
    assert_eq!(pair.conn.state(), ConnectionState::Closed);
}

/// S9: nginx keepalive_requests: GOAWAY(N) queued before the responses at
/// or below N, streams above ignored, then a lingering close.
#[test]
fn s9_nginx_rotation_completes_everything_at_or_below_last() {
    let mut pair = Pair::new();
    let ids: Vec<_> = (0..6).map(|i| pair.get(&format!("/{i}"))).collect();
    pair.flush();
    pair.deliver(&[frames::go_away(7, Reason::NO_ERROR)]);
    for id in [1, 3, 5, 7] {
        respond(&mut pair, id);
    }
    let events = pair.events();
    assert!(ids[..4].iter().all(|id| ended(&events, *id)));
    assert!(ids[4..].iter().all(|id| failure_of(&events, *id).processing == Processing::NotProcessed));
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Drained))));
    // The lingering close afterwards changes nothing.
    pair.conn.handle_eof(pair.now);
    assert!(pair.events().is_empty());
}

/// S10: Node's `session.close()`: GOAWAY(0) on a fresh connection. 0 is a
/// real id: every stream is NotProcessed.
#[test]
fn s10_last_stream_id_zero_means_nothing_was_processed() {
    let mut pair = Pair::new();
    let a = pair.get("/");
    let b = pair.post("/", b"abc", true);
    pair.flush();
    pair.deliver(&[frames::go_away(0, Reason::NO_ERROR)]);
    let events = pair.events();
    for id in [a, b] {
        assert_eq!(failure_of(&events, id).processing, Processing::NotProcessed);
    }
    assert_eq!(pair.conn.last_go_away().unwrap().last_stream_id, sid(0));
}

/// S11 / S12 (engine half): the error code and debug data reach every
/// failure, so the retry policy can back off or switch to HTTP/1.1.
#[test]
fn s11_s12_error_codes_are_carried_to_each_failure() {
    for code in
        [Reason::ENHANCE_YOUR_CALM, Reason::INTERNAL_ERROR, Reason::HTTP_1_1_REQUIRED, Reason::new(0xff)]
    {
        let mut pair = Pair::new();
        let below = pair.get("/");
        let above = pair.get("/");
        pair.flush();
        pair.deliver(&[frames::go_away_debug(1, code, b"calm down")]);
        let events = pair.events();
        let f = failure_of(&events, above);
        assert_eq!(f.processing, Processing::NotProcessed);
        let FailureCause::GoAway(g) = f.cause else { panic!("{f:?}") };
        assert_eq!((g.error_code, &g.debug_data[..]), (code, &b"calm down"[..]));
        // The stream below may still complete (§6.8), or fail per rule 2.
        pair.conn.handle_eof(pair.now);
        assert_eq!(failure_of(&pair.events(), below).processing, Processing::MaybeProcessed);
    }
}

/// S13: RST_STREAM(REFUSED_STREAM) proves the stream was not processed
/// (§8.7), for any method.
#[test]
fn s13_refused_stream_is_not_processed() {
    let mut pair = Pair::new();
    let post = pair.post("/", b"payload", true);
    let get = pair.get("/");
    pair.flush();
    pair.deliver(&[frames::rst(1, Reason::REFUSED_STREAM), frames::rst(3, Reason::CANCEL)]);
    let events = pair.events();
    let f = failure_of(&events, post);
    assert_eq!(f.processing, Processing::NotProcessed);
    assert_eq!(f.cause, FailureCause::Reset(Reason::REFUSED_STREAM));
    assert_eq!(failure_of(&events, get).processing, Processing::MaybeProcessed);
    assert_eq!(pair.conn.state(), ConnectionState::Open, "stream errors keep the connection");
}

/// S15: GOAWAY with the socket left open and the streams above ignored:
/// they fail at once, and the connection closes when the rest are done.
#[test]
fn s15_silent_go_away_does_not_hang() {
    let mut pair = Pair::new();
    let below = pair.get("/");
    let above = pair.get("/");
    pair.flush();
    pair.deliver(&[frames::go_away(1, Reason::NO_ERROR)]);
    assert_eq!(failure_of(&pair.events(), above).processing, Processing::NotProcessed);
    respond(&mut pair, 1);
    let events = pair.events();
    assert!(ended(&events, below));
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Drained))));
    let frames = pair.flush();
    assert!(frames.is_empty(), "nothing more to say: {frames:?}");
}

/// S16: close with no GOAWAY: NotSent for what never left, MaybeProcessed
/// for what did (§6.8: no GOAWAY means the last id is effectively the max).
#[test]
fn s16_close_without_go_away() {
    let mut pair = Pair::new();
    let sent = pair.post("/", b"abc", true);
    pair.flush();
    let unsent = pair.get("/");
    pair.conn.handle_eof(pair.now);
    let events = pair.events();
    assert_eq!(failure_of(&events, sent).processing, Processing::MaybeProcessed);
    assert_eq!(failure_of(&events, unsent).processing, Processing::NotSent);
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Eof))));
}

/// S17: a request waiting for a MAX_CONCURRENT_STREAMS slot when GOAWAY
/// arrives is refused by the engine without being sent (the client moves it).
#[test]
fn s17_request_waiting_for_a_slot_is_refused_not_sent() {
    let server = baton_proto::h2::frame::Settings { max_concurrent_streams: Some(1), ..Default::default() };
    let mut pair = Pair::with(baton_proto::h2::Config::default(), server);
    pair.get("/");
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let headers = http::HeaderMap::new();
    let err = pair.conn.send_request(&Method::GET, &uri, &headers, true, pair.now).unwrap_err();
    assert_eq!(err, SendError::ConcurrencyLimit);
    pair.flush();
    pair.deliver(&[frames::go_away(1, Reason::NO_ERROR)]);
    let err = pair.conn.send_request(&Method::GET, &uri, &headers, true, pair.now).unwrap_err();
    assert!(matches!(err, SendError::GoingAway(_)));
}

#[test]
fn client_graceful_go_away_drains_then_closes() {
    let mut pair = Pair::new();
    let id = pair.get("/");
    pair.flush();
    pair.conn.go_away(Reason::NO_ERROR, pair.now);
    let frames = pair.flush();
    assert!(
        matches!(frames.as_slice(), [Frame::GoAway(g)] if g.error_code == Reason::NO_ERROR && g.last_stream_id.is_zero())
    );
    assert_eq!(pair.conn.state(), ConnectionState::Draining);
    respond(&mut pair, 1);
    let events = pair.events();
    assert!(ended(&events, id));
    assert!(matches!(events.last(), Some(Event::Closed(CloseCause::Drained))));
}

#[test]
fn stream_ids_exhausted_is_reported() {
    let config = config(|c| c.first_stream_id = StreamId::MAX.value() - 2);
    let mut pair = Pair::with(config, Default::default());
    let last = pair.get("/");
    assert_eq!(last, StreamId::new(StreamId::MAX.value() - 2));
    let last = pair.get("/");
    assert_eq!(last, StreamId::MAX);
    assert!(pair.conn.is_stream_ids_exhausted());
    assert_eq!(pair.conn.available_streams(), 0);
    let uri: http::Uri = "https://example.com/".parse().unwrap();
    let err =
        pair.conn.send_request(&Method::GET, &uri, &http::HeaderMap::new(), true, pair.now).unwrap_err();
    assert_eq!(err, SendError::StreamIdsExhausted);
}

#[test]
fn data_for_streams_failed_by_go_away_is_ignored() {
    let mut pair = Pair::new();
    pair.get("/");
    let above = pair.post("/", &[0; 10], false);
    pair.flush();
    pair.deliver(&[frames::go_away(1, Reason::NO_ERROR)]);
    pair.events();
    // A confused server still sends on the failed stream: ignored, no RST.
    pair.deliver(&[frames::data(above.value(), b"late", true)]);
    assert!(pair.events().is_empty());
    let frames = pair.flush();
    assert!(frames.iter().all(|f| !matches!(f, Frame::RstStream(_))), "{frames:?}");
}
