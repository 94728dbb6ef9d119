//! HTTP/1.1 through the public API: the response decoder over pseudo-random
//! splits of a corpus, and a keep-alive exchange sequence on one
//! `h1::Connection` as a driver would run it.

use std::time::{Duration, Instant};

use baton_proto::h1::{
    BodyKind, CloseCause, Config, Connection, ConnectionState, Decoded, Event, ResponseDecoder, ResponseError,
};
use baton_proto::{Phase, Processing};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

/// Responses, whether each needs EOF to end, and the body each carries.
const CORPUS: [(&[u8], bool, &[u8]); 5] = [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello, world", false, b"hello, world"),
    (
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4;a=b\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n",
        false,
        b"wikipedia in\r\n\r\nchunks.",
    ),
    (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end\r\n\r\n", true, b"to the end\r\n\r\n"),
    (b"\r\nHTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n", false, b""),
    (b"HTTP/1.1 200 OK\nContent-Length: 2\nX: y\n\nok", false, b"ok"),
];

/// A small deterministic generator for split points.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn decode_split(input: &[u8], needs_eof: bool, rng: &mut Lcg) -> (Vec<u8>, usize) {
    let mut dec = ResponseDecoder::new(Config::default(), false);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut ends = 0;
    let mut rest = input;
    while !rest.is_empty() {
        let (piece, tail) = rest.split_at(1 + rng.below(rest.len().min(17)));
        rest = tail;
        buf.extend_from_slice(piece);
        while let Some(item) = dec.decode(&mut buf).expect("valid corpus") {
            match item {
                Decoded::Data(d) => body.extend_from_slice(&d),
                Decoded::End => ends += 1,
                _ => {}
            }
        }
    }
    if needs_eof {
        if let Some(Decoded::End) = dec.decode_eof().expect("close-delimited") {
            ends += 1;
        }
    }
    (body, ends)
}

#[test]
fn decoder_over_random_splits() {
    let mut rng = Lcg(7);
    for (input, needs_eof, body) in CORPUS {
        for _ in 0..300 {
            let (got, ends) = decode_split(input, needs_eof, &mut rng);
            assert_eq!(got, body, "{}", String::from_utf8_lossy(input));
            assert_eq!(ends, 1);
        }
    }
}

#[test]
fn decoder_rejects_what_rfc_9112_calls_unrecoverable() {
    let cases: [(&[u8], ResponseError); 4] = [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", ResponseError::InvalidContentLength),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", ResponseError::InvalidContentLength),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", ResponseError::UpgradeNotSupported),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
            ResponseError::ChunkSizeOverflow,
        ),
    ];
    for (input, want) in cases {
        let mut dec = ResponseDecoder::new(Config::default(), false);
        let mut buf = BytesMut::from(input);
        let got = loop {
            match dec.decode(&mut buf) {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("no error for {}", String::from_utf8_lossy(input)),
                Err(e) => break e,
            }
        };
        assert_eq!(got, want);
    }
}

/// A driver's view: three requests on one keep-alive connection, the third
/// written partly when the server closes.
#[test]
fn keep_alive_sequence_then_close_mid_request() {
    let t0 = Instant::now();
    let mut conn = Connection::new(Config::default());
    let uri = "http://origin.example:8080/api".parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("user-agent", HeaderValue::from_static("baton-test"));

    // 1: GET.
    conn.send_request(&Method::GET, &uri, &headers, Some(0), t0).unwrap();
    let out = conn.poll_transmit().to_vec();
    assert_eq!(out, b"GET /api HTTP/1.1\r\nhost: origin.example:8080\r\nuser-agent: baton-test\r\n\r\n");
    conn.handle_written(out.len());
    conn.handle_read(b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2, max=99\r\nContent-Length: 2\r\n\r\nhi", t0);
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert!(
        matches!(&events[0], Event::ResponseReceived { head, body: BodyKind::Length(2), .. } if head.status == StatusCode::OK)
    );
    assert_eq!(events[1], Event::DataReceived { data: Bytes::from_static(b"hi") });
    assert_eq!(events[2], Event::ResponseEnded);
    assert!(conn.is_reusable());
    assert_eq!(conn.keep_alive_timeout(), Some(Duration::from_secs(2)));

    // 2: chunked POST with an informational 100 first.
    let t1 = t0 + Duration::from_millis(500);
    conn.send_request(&Method::POST, &uri, &headers, None, t1).unwrap();
    conn.send_data(Bytes::from_static(b"{\"a\":1}"), true).unwrap();
    let n = conn.poll_transmit().len();
    conn.handle_written(n);
    assert_eq!(conn.phase(), Some(Phase::BodyWritten));
    conn.handle_read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", t1);
    let kinds: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert!(matches!(kinds[0], Event::InformationalReceived { .. }));
    assert!(matches!(kinds[1], Event::ResponseReceived { .. }));
    assert_eq!(kinds[2], Event::ResponseEnded);
    assert_eq!(conn.idle_since(), Some(t1));

    // 3: a PUT, half its head written, then the server resets.
    conn.send_request(&Method::PUT, &uri, &headers, Some(4), t1).unwrap();
    conn.handle_written(10);
    conn.handle_transport_error("connection reset by peer".into(), t1);
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    let Event::RequestFailed(f) = &events[0] else { panic!("{events:?}") };
    assert_eq!((f.processing, f.bytes_written, f.reused), (Processing::MaybeProcessed, 10, true));
    assert_eq!(events[1], Event::Closed(CloseCause::Transport("connection reset by peer".into())));
    assert_eq!(conn.state(), ConnectionState::Closed);
}
