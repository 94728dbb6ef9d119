//! Connection tests: bytes in, events out; every split of a few responses;
//! the journal; keep-alive; S18; and the (state × input) table.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::*;
use crate::h1::error::{ResponseError, SendError};
use crate::h1::framing::BodyKind;

fn now() -> Instant {
    use std::sync::OnceLock;
    static NOW: OnceLock<Instant> = OnceLock::new();
    *NOW.get_or_init(Instant::now)
}

fn conn() -> Connection {
    Connection::new(Config::default())
}

fn send(conn: &mut Connection, method: Method, body_len: Option<u64>) -> Result<(), SendError> {
    conn.send_request(&method, &"http://example.com/x".parse().unwrap(), &HeaderMap::new(), body_len, now())
}

fn get(conn: &mut Connection) {
    send(conn, Method::GET, Some(0)).unwrap();
}

/// Writes everything queued; returns it.
fn flush(conn: &mut Connection) -> Vec<u8> {
    let out = conn.poll_transmit().to_vec();
    conn.handle_written(out.len());
    out
}

fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

fn feed(conn: &mut Connection, bytes: &[u8]) -> Vec<Event> {
    conn.handle_read(bytes, now());
    events(conn)
}

/// Events with consecutive `DataReceived` merged, so that different
/// splits of the input compare equal.
fn merged(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for ev in events {
        if let (Some(Event::DataReceived { data: prev }), Event::DataReceived { data }) =
            (out.last_mut(), &ev)
        {
            let mut joined = prev.to_vec();
            joined.extend_from_slice(data);
            *prev = Bytes::from(joined);
        } else {
            out.push(ev);
        }
    }
    out
}

fn failure(events: &[Event]) -> &RequestFailure {
    events
        .iter()
        .find_map(|e| match e {
            Event::RequestFailed(f) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no failure in {events:?}"))
}

fn head_of(events: &[Event]) -> (&super::super::ResponseHead, BodyKind) {
    events
        .iter()
        .find_map(|e| match e {
            Event::ResponseReceived { head, body, .. } => Some((head, *body)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no head in {events:?}"))
}

fn body_of(events: &[Event]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::DataReceived { data } => Some(data.to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn get_with_content_length_and_reuse() {
    let mut c = conn();
    assert_eq!(c.state(), ConnectionState::Idle);
    get(&mut c);
    assert_eq!(flush(&mut c), b"GET /x HTTP/1.1\r\nhost: example.com\r\n\r\n");
    assert_eq!(c.phase(), Some(Phase::BodyWritten));
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nhello");
    let (head, body) = head_of(&evs);
    assert_eq!((head.status, body), (StatusCode::OK, BodyKind::Length(5)));
    assert_eq!(body_of(&evs), b"hello");
    assert_eq!(evs.last(), Some(&Event::ResponseEnded));
    assert!(c.is_reusable());
    assert_eq!(c.keep_alive_timeout(), Some(Duration::from_secs(5)));
    assert_eq!(c.idle_since(), Some(now()));

    get(&mut c);
    assert_eq!(c.state(), ConnectionState::Busy);
    assert_eq!(c.idle_since(), None);
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
    assert_eq!(head_of(&evs).0.status, StatusCode::NOT_FOUND);
    assert!(c.is_reusable());
    assert_eq!(c.keep_alive_timeout(), None, "the hint is per response");
    assert_eq!(c.requests_started(), 2);
}

/// Every response here, fed whole, split in two at every byte, and fed one
/// byte at a time, gives the same events.
#[test]
fn every_split_gives_the_same_events() {
    let responses: [(&[u8], Method, bool); 6] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", Method::GET, false),
        (
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
              HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nChecksum: abc\r\n\r\n",
            Method::GET,
            false,
        ),
        (b"HTTP/1.0 200 OK\r\nServer: old\r\n\r\nuntil the end", Method::GET, true),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", Method::HEAD, false),
        (b"HTTP/1.1 304 Not Modified\nETag: \"x\"\n\n", Method::GET, false),
        (b"HTTP/1.1 200 OK\r\nFolded: a\r\n b\r\nContent-Length: 0\r\n\r\n", Method::GET, false),
    ];
    for (input, method, needs_eof) in responses {
        let run = |pieces: &[&[u8]]| {
            let mut c = conn();
            send(&mut c, method.clone(), Some(0)).unwrap();
            flush(&mut c);
            let mut evs = Vec::new();
            for p in pieces {
                evs.extend(feed(&mut c, p));
            }
            if needs_eof {
                c.handle_eof(now());
                evs.extend(events(&mut c));
            }
            merged(evs)
        };
        let whole = run(&[input]);
        assert!(whole.contains(&Event::ResponseEnded), "{whole:?}");
        assert!(!whole.iter().any(|e| matches!(e, Event::RequestFailed(_))), "{whole:?}");
        for at in 0..=input.len() {
            assert_eq!(run(&[&input[..at], &input[at..]]), whole, "split at {at}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(&bytes), whole);
    }
}

#[test]
fn informational_heads_are_reported_then_skipped() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    let evs = feed(
        &mut c,
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
    );
    let statuses: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            Event::InformationalReceived { head } => Some(head.status.as_u16()),
            Event::ResponseReceived { head, .. } => Some(head.status.as_u16()),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, [100, 103, 200]);
    assert!(c.is_reusable());
}

#[test]
fn switching_protocols_is_an_error() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
    let f = failure(&evs);
    assert_eq!(f.cause, CloseCause::InvalidResponse(ResponseError::UpgradeNotSupported));
    assert_eq!(f.processing, Processing::ResponseStarted);
    assert!(f.to_string().contains("upgrade not supported"), "{f}");
    assert_eq!(c.state(), ConnectionState::Closed);
}

#[test]
fn no_body_responses() {
    for (method, response) in [
        (Method::HEAD, &b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"[..]),
        (Method::GET, b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"),
        (Method::GET, b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"),
    ] {
        let mut c = conn();
        send(&mut c, method, Some(0)).unwrap();
        flush(&mut c);
        let evs = feed(&mut c, response);
        assert_eq!(head_of(&evs).1, BodyKind::Empty);
        assert_eq!(evs.last(), Some(&Event::ResponseEnded));
        assert!(c.is_reusable(), "{evs:?}");
    }
}

#[test]
fn keep_alive_decisions() {
    let cases: [(&[u8], bool); 7] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
        (b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true),
        // RFC 9112 §6.3 item 3: TE wins, the connection is not reused.
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", true),
        // Keep-Alive timeout from a non-persistent response is not kept.
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nKeep-Alive: timeout=9\r\nContent-Length: 0\r\n\r\n", false),
    ];
    for (response, reusable) in cases {
        let mut c = conn();
        get(&mut c);
        flush(&mut c);
        let evs = feed(&mut c, response);
        assert!(evs.contains(&Event::ResponseEnded), "{evs:?}");
        assert_eq!(c.is_reusable(), reusable, "{}", String::from_utf8_lossy(response));
        if !reusable {
            assert_eq!(evs.last(), Some(&Event::Closed(CloseCause::NotPersistent)));
            assert_eq!(c.state(), ConnectionState::Closed);
            assert_eq!(c.keep_alive_timeout(), None);
            assert_eq!(send(&mut c, Method::GET, Some(0)), Err(SendError::Closed));
        }
    }
}

#[test]
fn request_connection_close_ends_the_connection() {
    let mut c = conn();
    let mut headers = HeaderMap::new();
    headers.insert("connection", HeaderValue::from_static("close"));
    c.send_request(&Method::GET, &"http://a/".parse().unwrap(), &headers, Some(0), now()).unwrap();
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(evs.last(), Some(&Event::Closed(CloseCause::NotPersistent)));
    assert!(!c.is_reusable());
}

#[test]
fn close_delimited_body_ends_at_eof_not_at_error() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\n\r\npart one, ");
    assert_eq!(head_of(&evs).1, BodyKind::CloseDelimited);
    let evs = feed(&mut c, b"part two");
    assert_eq!(body_of(&evs), b"part two");
    c.handle_eof(now());
    assert_eq!(events(&mut c), [Event::ResponseEnded, Event::Closed(CloseCause::Eof)]);

    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    feed(&mut c, b"HTTP/1.1 200 OK\r\n\r\npart one");
    c.handle_transport_error("connection reset".into(), now());
    let evs = events(&mut c);
    let f = failure(&evs);
    assert_eq!(f.processing, Processing::ResponseStarted);
    assert_eq!(f.phase, Phase::ResponseBody(8));
    assert_eq!(f.body_received, 8);
    assert_eq!(evs.last(), Some(&Event::Closed(CloseCause::Transport("connection reset".into()))));
}

#[test]
fn eof_in_the_middle_of_a_body_fails_response_started() {
    for partial in [
        &b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
    ] {
        let mut c = conn();
        get(&mut c);
        flush(&mut c);
        feed(&mut c, partial);
        c.handle_eof(now());
        let evs = events(&mut c);
        let f = failure(&evs);
        assert_eq!((f.processing, &f.cause), (Processing::ResponseStarted, &CloseCause::Eof));
        assert!(!evs.contains(&Event::ResponseEnded));
    }
}

#[test]
fn eof_inside_a_head_is_maybe_processed() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Le");
    c.handle_eof(now());
    let f = failure(&events(&mut c)).clone();
    assert_eq!(f.processing, Processing::MaybeProcessed);
    assert_eq!(f.phase, Phase::BodyWritten);
}

/// DESIGN.md S18: a pooled keep-alive connection is closed by the server
/// just as the client reuses it.
#[test]
fn s18_reused_connection_closed_before_the_request_was_written() {
    for method in [Method::GET, Method::POST] {
        let mut c = conn();
        get(&mut c);
        flush(&mut c);
        feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assert!(c.is_reusable());

        // The server's FIN is in flight; we queue a request but the write
        // has not happened (or the transport refused it: zero bytes).
        send(&mut c, method.clone(), Some(3)).unwrap();
        c.handle_written(0);
        c.handle_eof(now());
        let evs = events(&mut c);
        let f = failure(&evs);
        assert_eq!(f.processing, Processing::NotSent, "{method}");
        assert_eq!((f.bytes_written, f.reused, f.phase), (0, true, Phase::HeadersQueued));
        assert!(f.processing.is_safe_to_retry());
        assert_eq!(evs.last(), Some(&Event::Closed(CloseCause::Eof)));
    }
}

#[test]
fn s18_reused_connection_closed_after_request_bytes_were_written() {
    // Written: one byte of the head, the whole head (58 bytes), one body
    // byte, the whole request.
    for (written, phase) in [
        (1, Phase::HeadersQueued),
        (58, Phase::HeadersWritten),
        (59, Phase::BodyPartlyWritten(1)),
        (61, Phase::BodyWritten),
    ] {
        let mut c = conn();
        get(&mut c);
        flush(&mut c);
        feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        send(&mut c, Method::POST, Some(3)).unwrap();
        c.send_data(Bytes::from_static(b"abc"), true).unwrap();
        assert_eq!(c.poll_transmit().len(), 61);
        c.handle_written(written);
        c.handle_transport_error("connection reset by peer".into(), now());
        let evs = events(&mut c);
        let f = failure(&evs);
        assert_eq!(f.processing, Processing::MaybeProcessed, "{written}");
        assert_eq!((f.bytes_written, f.reused, f.phase), (written as u64, true, phase));
        assert!(!f.processing.is_safe_to_retry());
    }
}

#[test]
fn unsolicited_response_on_an_idle_connection() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    // Stray CRLFs are ignored (RFC 9112 §9.2).
    assert!(feed(&mut c, b"\r\n\r\n").is_empty());
    assert!(c.is_reusable());
    // An idle-timeout 408 is not a response to anything.
    let evs = feed(&mut c, b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    assert_eq!(evs, [Event::Closed(CloseCause::UnsolicitedResponse)]);
    assert_eq!(send(&mut c, Method::GET, Some(0)), Err(SendError::Closed));
}

#[test]
fn response_before_any_request_byte_is_not_ours() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    send(&mut c, Method::DELETE, Some(0)).unwrap();
    // Nothing written yet, and the 408 the server sent on idle arrives.
    let evs = feed(&mut c, b"HTTP/1.1 408 Request Timeout\r\n\r\n");
    let f = failure(&evs);
    assert_eq!((f.processing, &f.cause), (Processing::NotSent, &CloseCause::UnsolicitedResponse));
}

#[test]
fn trailing_bytes_after_a_response_close_the_connection() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA");
    assert_eq!(body_of(&evs), b"ok");
    assert_eq!(&evs[evs.len() - 2..], [Event::ResponseEnded, Event::Closed(CloseCause::UnsolicitedResponse)]);
}

#[test]
fn early_response_stops_the_body() {
    let mut c = conn();
    send(&mut c, Method::POST, Some(10)).unwrap();
    c.send_data(Bytes::from_static(b"abcd"), false).unwrap();
    flush(&mut c);
    c.send_data(Bytes::from_static(b"ef"), false).unwrap();
    assert!(c.wants_write());
    let evs = feed(&mut c, b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nbig!");
    assert_eq!(head_of(&evs).0.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body_of(&evs), b"big!");
    assert_eq!(&evs[evs.len() - 2..], [Event::ResponseEnded, Event::Closed(CloseCause::NotPersistent)]);
    assert!(!c.wants_write(), "the rest of the body is dropped");
    assert_eq!(c.send_data(Bytes::from_static(b"ghij"), true), Err(SendError::NotWritable));
}

#[test]
fn early_response_with_a_body_still_arriving() {
    let mut c = conn();
    send(&mut c, Method::PUT, None).unwrap();
    c.send_data(Bytes::from_static(b"abcd"), false).unwrap();
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nno");
    assert_eq!(head_of(&evs).0.status, StatusCode::UNAUTHORIZED);
    assert_eq!(c.send_data(Bytes::from_static(b"more"), false), Err(SendError::BodyNotWanted));
    assert_eq!(c.send_trailers(&HeaderMap::new()), Err(SendError::BodyNotWanted));
    assert_eq!(c.phase(), Some(Phase::ResponseBody(2)));
    let evs = feed(&mut c, b"pe");
    assert_eq!(
        evs,
        [
            Event::DataReceived { data: Bytes::from_static(b"pe") },
            Event::ResponseEnded,
            Event::Closed(CloseCause::NotPersistent)
        ]
    );
}

#[test]
fn journal_follows_confirmed_writes() {
    let mut c = conn();
    send(&mut c, Method::POST, None).unwrap();
    let head_len = c.poll_transmit().len();
    assert_eq!(c.phase(), Some(Phase::HeadersQueued));
    c.handle_written(head_len - 1);
    assert_eq!(c.phase(), Some(Phase::HeadersQueued));
    assert_eq!(c.request_bytes_written(), Some(head_len as u64 - 1));
    c.handle_written(1);
    assert_eq!(c.phase(), Some(Phase::HeadersWritten));

    // "5\r\nhello\r\n": the payload starts 3 bytes in.
    c.send_data(Bytes::from_static(b"hello"), false).unwrap();
    c.handle_written(3);
    assert_eq!(c.phase(), Some(Phase::HeadersWritten));
    c.handle_written(2);
    assert_eq!(c.phase(), Some(Phase::BodyPartlyWritten(2)));
    c.send_data(Bytes::from_static(b"world!"), false).unwrap();
    c.handle_written(100);
    assert_eq!(c.phase(), Some(Phase::BodyPartlyWritten(11)));
    let mut trailers = HeaderMap::new();
    trailers.insert("checksum", HeaderValue::from_static("1"));
    c.send_trailers(&trailers).unwrap();
    assert_eq!(c.poll_transmit(), b"0\r\nchecksum: 1\r\n\r\n");
    c.handle_written(4);
    assert_eq!(c.phase(), Some(Phase::BodyPartlyWritten(11)));
    c.handle_written(100);
    assert_eq!(c.phase(), Some(Phase::BodyWritten));

    c.handle_eof(now());
    let f = failure(&events(&mut c)).clone();
    assert_eq!((f.body_sent, f.processing, f.reused), (11, Processing::MaybeProcessed, false));
}

#[test]
fn content_length_body_is_checked() {
    let mut c = conn();
    send(&mut c, Method::POST, Some(4)).unwrap();
    assert_eq!(
        c.send_data(Bytes::from_static(b"abcde"), false),
        Err(SendError::BodyTooLong { declared: 4, attempted: 5 })
    );
    assert_eq!(
        c.send_data(Bytes::from_static(b"ab"), true),
        Err(SendError::BodyTooShort { declared: 4, sent: 2 })
    );
    assert_eq!(c.send_trailers(&HeaderMap::new()), Err(SendError::TrailersNeedChunked));
    c.send_data(Bytes::from_static(b"abcd"), true).unwrap();
    assert!(flush(&mut c).ends_with(b"content-length: 4\r\n\r\nabcd"));
    assert_eq!(c.phase(), Some(Phase::BodyWritten));
    assert_eq!(c.send_data(Bytes::from_static(b"x"), true), Err(SendError::NotWritable));
}

#[test]
fn invalid_requests_queue_nothing() {
    let mut c = conn();
    assert_eq!(send(&mut c, Method::CONNECT, Some(0)), Err(SendError::UnsupportedMethod));
    assert!(c.poll_transmit().is_empty());
    assert_eq!(c.state(), ConnectionState::Idle);
    get(&mut c);
    assert_eq!(send(&mut c, Method::GET, Some(0)), Err(SendError::Busy));
}

#[test]
fn response_limits_fail_the_request() {
    let mut c = Connection::new(Config { max_head_size: 64, ..Config::default() });
    get(&mut c);
    flush(&mut c);
    let evs = feed(&mut c, &[b'x'; 100]);
    let f = failure(&evs);
    assert_eq!(f.cause, CloseCause::InvalidResponse(ResponseError::HeadTooLarge { limit: 64 }));
    assert_eq!(f.processing, Processing::MaybeProcessed);

    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
    assert_eq!(failure(&evs).cause, CloseCause::InvalidResponse(ResponseError::InvalidContentLength));

    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    let f = failure(&evs);
    assert!(matches!(f.cause, CloseCause::InvalidResponse(ResponseError::InvalidChunk(_))), "{f:?}");
    assert_eq!(f.processing, Processing::ResponseStarted);
}

#[test]
fn abort_fails_the_request_once() {
    let mut c = conn();
    get(&mut c);
    flush(&mut c);
    c.abort("caller went away".into(), now());
    c.abort("twice".into(), now());
    c.handle_eof(now());
    let evs = events(&mut c);
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert_eq!(failure(&evs).cause, CloseCause::Aborted("caller went away".into()));
}

// ----- the (state × input) table ------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Fresh connection.
    Idle,
    /// GET queued, nothing written.
    HeadQueued,
    /// Chunked POST: head written, body open.
    BodyOpen,
    /// GET written, waiting for the head.
    AwaitingHead,
    /// GET written, head with Content-Length 4 and 2 body bytes received.
    ReadingBody,
    /// After EOF.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    SendRequest,
    SendData,
    SendDataEnd,
    WriteAll,
    ReadFinalHead,
    ReadInformational,
    ReadGarbage,
    ReadCrlf,
    Eof,
    TransportError,
    Abort,
}

const STATES: [State; 6] =
    [State::Idle, State::HeadQueued, State::BodyOpen, State::AwaitingHead, State::ReadingBody, State::Closed];
const INPUTS: [Input; 11] = [
    Input::SendRequest,
    Input::SendData,
    Input::SendDataEnd,
    Input::WriteAll,
    Input::ReadFinalHead,
    Input::ReadInformational,
    Input::ReadGarbage,
    Input::ReadCrlf,
    Input::Eof,
    Input::TransportError,
    Input::Abort,
];

fn enter(state: State) -> Connection {
    let mut c = conn();
    match state {
        State::Idle => {}
        State::HeadQueued => get(&mut c),
        State::BodyOpen => {
            send(&mut c, Method::POST, None).unwrap();
            flush(&mut c);
        }
        State::AwaitingHead => {
            get(&mut c);
            flush(&mut c);
        }
        State::ReadingBody => {
            get(&mut c);
            flush(&mut c);
            feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
        }
        State::Closed => c.handle_eof(now()),
    }
    events(&mut c);
    c
}

fn apply(c: &mut Connection, input: Input) -> Result<(), SendError> {
    match input {
        Input::SendRequest => return send(c, Method::GET, Some(0)),
        Input::SendData => return c.send_data(Bytes::from_static(b"x"), false),
        Input::SendDataEnd => return c.send_data(Bytes::from_static(b"x"), true),
        Input::WriteAll => {
            flush(c);
        }
        Input::ReadFinalHead => c.handle_read(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", now()),
        Input::ReadInformational => c.handle_read(b"HTTP/1.1 100 Continue\r\n\r\n", now()),
        Input::ReadGarbage => c.handle_read(b"garbage\r\n\r\n", now()),
        Input::ReadCrlf => c.handle_read(b"\r\n", now()),
        Input::Eof => c.handle_eof(now()),
        Input::TransportError => c.handle_transport_error("reset".into(), now()),
        Input::Abort => c.abort("abort".into(), now()),
    }
    Ok(())
}

fn kind(ev: &Event) -> String {
    match ev {
        Event::InformationalReceived { .. } => "info".into(),
        Event::ResponseReceived { .. } => "head".into(),
        Event::DataReceived { .. } => "data".into(),
        Event::TrailersReceived { .. } => "trailers".into(),
        Event::ResponseEnded => "ended".into(),
        Event::RequestFailed(f) => format!("failed:{:?}", f.processing),
        Event::Closed(_) => "closed".into(),
    }
}

/// The expected outcome of every (state, input) pair: a refused command,
/// or the state after and the events.
fn expected(state: State, input: Input) -> Result<(ConnectionState, &'static [&'static str]), SendError> {
    use ConnectionState as C;
    use Input as I;
    use State as S;
    const CLOSED: &[&str] = &["closed"];
    const NOT_SENT: &[&str] = &["failed:NotSent", "closed"];
    const MAYBE: &[&str] = &["failed:MaybeProcessed", "closed"];
    const STARTED: &[&str] = &["failed:ResponseStarted", "closed"];
    Ok(match (state, input) {
        (S::Closed, I::SendRequest) => return Err(SendError::Closed),
        (S::Idle, I::SendRequest) => (C::Busy, &[]),
        (_, I::SendRequest) => return Err(SendError::Busy),
        (S::BodyOpen, I::SendData | I::SendDataEnd) => (C::Busy, &[]),
        (_, I::SendData | I::SendDataEnd) => return Err(SendError::NotWritable),
        (S::Closed, _) => (C::Closed, &[]),

        (S::Idle, I::WriteAll | I::ReadCrlf) => (C::Idle, &[]),
        (S::Idle, _) => (C::Closed, CLOSED),

        (S::HeadQueued, I::WriteAll | I::ReadCrlf) => (C::Busy, &[]),
        (S::HeadQueued, _) => (C::Closed, NOT_SENT),

        (S::BodyOpen, I::WriteAll | I::ReadCrlf) => (C::Busy, &[]),
        (S::BodyOpen, I::ReadInformational) => (C::Busy, &["info"]),
        // Early 2xx on a persistent connection: delivered, and the request
        // body goes on (RFC 9112 §9.5 stops only a refused body).
        (S::BodyOpen, I::ReadFinalHead) => (C::Busy, &["head", "data", "ended"]),
        (S::BodyOpen, _) => (C::Closed, MAYBE),

        (S::AwaitingHead, I::WriteAll | I::ReadCrlf) => (C::Busy, &[]),
        (S::AwaitingHead, I::ReadInformational) => (C::Busy, &["info"]),
        (S::AwaitingHead, I::ReadFinalHead) => (C::Idle, &["head", "data", "ended"]),
        (S::AwaitingHead, _) => (C::Closed, MAYBE),

        (S::ReadingBody, I::WriteAll) => (C::Busy, &[]),
        // Two more body bytes complete the response.
        (S::ReadingBody, I::ReadCrlf) => (C::Idle, &["data", "ended"]),
        // The first two bytes complete it; the rest is unsolicited.
        (S::ReadingBody, I::ReadFinalHead | I::ReadInformational | I::ReadGarbage) => {
            (C::Closed, &["data", "ended", "closed"])
        }
        (S::ReadingBody, _) => (C::Closed, STARTED),
    })
}

#[test]
fn every_state_and_input() {
    for state in STATES {
        for input in INPUTS {
            let mut c = enter(state);
            let before = c.state();
            let result = apply(&mut c, input);
            let evs = events(&mut c);
            let got = result.map(|()| (c.state(), evs.iter().map(kind).collect::<Vec<_>>()));
            let want = expected(state, input)
                .map(|(s, evs)| (s, evs.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()));
            assert_eq!(got, want, "{state:?} × {input:?}");
            if want.is_err() {
                assert_eq!(c.state(), before, "a refused command changes nothing");
            }
            // Whatever happened, the connection still ends cleanly: EOF
            // produces at most one terminal event for a request in flight
            // and at most one Closed overall.
            c.handle_eof(now());
            let more = events(&mut c);
            let all: Vec<_> = evs.iter().chain(&more).map(kind).collect();
            assert!(all.iter().filter(|k| *k == "closed").count() <= 1, "{state:?} × {input:?}: {all:?}");
            let terminal = all.iter().filter(|k| *k == "ended" || k.starts_with("failed")).count();
            assert!(terminal <= 1, "{state:?} × {input:?}: {all:?}");
            assert_eq!(c.state(), ConnectionState::Closed);
        }
    }
}

#[test]
fn taken_bytes_count_as_written_only_when_confirmed() {
    let mut c = conn();
    send(&mut c, Method::POST, Some(4)).unwrap();
    let head = c.take_transmit();
    c.send_data(Bytes::from_static(b"body"), true).unwrap();
    assert_eq!(c.send_buffered(), head.len() + 4, "taken bytes still count as buffered");
    let body = c.take_transmit();
    assert_eq!(&body[..], b"body");
    assert_eq!(c.phase(), Some(Phase::HeadersQueued));
    c.handle_written(head.len());
    assert_eq!(c.phase(), Some(Phase::HeadersWritten));
    c.handle_written(2);
    assert_eq!(c.phase(), Some(Phase::BodyPartlyWritten(2)));
    c.handle_written(2);
    assert_eq!(c.phase(), Some(Phase::BodyWritten));
    assert_eq!(c.send_buffered(), 0);
}

#[test]
fn early_2xx_lets_the_body_finish_and_keeps_the_connection() {
    // RFC 9112 §9.5 only stops a body the server refuses; a 200 sent while
    // the server still reads (a streaming echo) is not a refusal.
    let mut c = conn();
    send(&mut c, Method::PUT, None).unwrap();
    c.send_data(Bytes::from_static(b"first"), false).unwrap();
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(head_of(&evs).0.status, StatusCode::OK);
    assert_eq!(evs.last(), Some(&Event::ResponseEnded));
    assert_eq!(c.state(), ConnectionState::Busy, "the request body is not finished");
    c.send_data(Bytes::from_static(b"second"), false).unwrap();
    c.send_data(Bytes::new(), true).unwrap();
    let written = flush(&mut c);
    assert!(written.ends_with(b"6\r\nsecond\r\n0\r\n\r\n"), "{:?}", String::from_utf8_lossy(&written));
    assert_eq!(c.state(), ConnectionState::Idle);
    assert!(c.is_reusable());
}

#[test]
fn early_2xx_that_closes_still_stops_the_body() {
    let mut c = conn();
    send(&mut c, Method::PUT, None).unwrap();
    c.send_data(Bytes::from_static(b"first"), false).unwrap();
    flush(&mut c);
    let evs = feed(&mut c, b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(head_of(&evs).0.status, StatusCode::OK);
    assert_eq!(c.send_data(Bytes::from_static(b"more"), false), Err(SendError::NotWritable));
    assert!(!c.is_reusable());
}
