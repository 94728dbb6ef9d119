//! Fuzzes the HTTP/1.1 response decoder (RFC 9112 §4-§7).
//!
//! Input layout: byte 0 picks options (bit 0: the request was HEAD, bit 1:
//! EOF after the input, bits 2-3: tight limits), byte 1 seeds the sizes of
//! the pieces the rest arrives in (0 = all at once), the rest is the byte
//! stream from the server. The same pieces go to a `ResponseDecoder` and to
//! an `h1::Connection` that sent a GET/HEAD; both must agree item for item,
//! and neither may panic or keep more than its limits allow.
#![no_main]

use std::time::Instant;

use baton_proto::h1::{CloseCause, Config, Connection, Decoded, Event, ResponseDecoder, ResponseError};
use bytes::BytesMut;
use http::{HeaderMap, Method, StatusCode};
use libfuzzer_sys::fuzz_target;

/// What both sides produced, in a comparable form.
#[derive(Debug, PartialEq, Eq)]
enum Out {
    Info(StatusCode),
    Head(StatusCode),
    Data(Vec<u8>),
    Trailers(usize),
    End,
    Err(ResponseError),
}

fn push(out: &mut Vec<Out>, item: Out) {
    // Data may arrive in different pieces; compare the concatenation.
    if let (Some(Out::Data(prev)), Out::Data(more)) = (out.last_mut(), &item) {
        prev.extend_from_slice(more);
        return;
    }
    out.push(item);
}

fn config(selector: u8) -> Config {
    match (selector >> 2) & 3 {
        0 => Config::default(),
        1 => Config { max_head_size: 64, max_headers: 2, ..Config::default() },
        2 => Config { max_chunk_line: 4, max_trailer_size: 8, ..Config::default() },
        _ => Config { max_head_size: 1, max_headers: 0, max_chunk_line: 1, max_trailer_size: 0 },
    }
}

fuzz_target!(|input: &[u8]| {
    let [options, chunking, stream @ ..] = input else {
        return;
    };
    let head_request = options & 1 != 0;
    let eof = options & 2 != 0;
    let config = config(*options);

    let mut pieces = Vec::new();
    let mut seed = u32::from(*chunking);
    let mut rest = stream;
    while !rest.is_empty() {
        let n = if *chunking == 0 { rest.len() } else { 1 + (seed % 61) as usize };
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345) >> 1;
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }

    // The decoder alone.
    let mut decoded = Vec::new();
    let mut dec = ResponseDecoder::new(config, head_request);
    let mut buf = BytesMut::new();
    'feed: for piece in &pieces {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(item)) => push(
                    &mut decoded,
                    match item {
                        Decoded::Informational(h) => Out::Info(h.status),
                        Decoded::Head { head, .. } => Out::Head(head.status),
                        Decoded::Data(d) => {
                            assert!(!d.is_empty(), "empty data item");
                            Out::Data(d.to_vec())
                        }
                        Decoded::Trailers(t) => Out::Trailers(t.len()),
                        Decoded::End => Out::End,
                    },
                ),
                Ok(None) => break,
                Err(e) => {
                    let _ = e.to_string();
                    decoded.push(Out::Err(e));
                    break 'feed;
                }
            }
        }
        // Nothing unbounded stays buffered while a head is awaited.
        if !dec.is_done() && !decoded.iter().any(|o| matches!(o, Out::Head(_))) {
            assert!(buf.len() <= config.max_head_size + 2, "head buffer grew to {}", buf.len());
        }
    }
    if eof && !matches!(decoded.last(), Some(Out::Err(_))) {
        match dec.decode_eof() {
            Ok(Some(Decoded::End)) => decoded.push(Out::End),
            Ok(Some(other)) => panic!("decode_eof returned {other:?}"),
            Ok(None) => {}
            Err(e) => decoded.push(Out::Err(e)),
        }
    }

    // The connection, fed the same pieces.
    let now = Instant::now();
    let mut conn = Connection::new(config);
    let method = if head_request { Method::HEAD } else { Method::GET };
    let uri = "http://fuzz.example/".parse().expect("static uri");
    conn.send_request(&method, &uri, &HeaderMap::new(), Some(0), now).expect("fresh connection");
    let n = conn.poll_transmit().len();
    conn.handle_written(n);
    let mut events = Vec::new();
    for piece in &pieces {
        conn.handle_read(piece, now);
        events.extend(std::iter::from_fn(|| conn.poll_event()));
    }
    if eof {
        conn.handle_eof(now);
        events.extend(std::iter::from_fn(|| conn.poll_event()));
    }
    let mut seen = Vec::new();
    let mut terminal = 0;
    let mut closed = 0;
    for ev in events {
        match ev {
            Event::InformationalReceived { head } => push(&mut seen, Out::Info(head.status)),
            Event::ResponseReceived { head, .. } => push(&mut seen, Out::Head(head.status)),
            Event::DataReceived { data } => push(&mut seen, Out::Data(data.to_vec())),
            Event::TrailersReceived { trailers } => push(&mut seen, Out::Trailers(trailers.len())),
            Event::ResponseEnded => {
                terminal += 1;
                push(&mut seen, Out::End);
            }
            Event::RequestFailed(f) => {
                terminal += 1;
                let _ = f.to_string();
                match f.cause {
                    CloseCause::InvalidResponse(e) => push(&mut seen, Out::Err(e)),
                    CloseCause::Eof => push(&mut seen, Out::Err(ResponseError::Incomplete)),
                    other => panic!("unexpected failure cause {other:?}"),
                }
            }
            Event::Closed(_) => closed += 1,
            other => panic!("unexpected event {other:?}"),
        }
        assert!(closed <= 1, "Closed twice");
    }
    assert!(terminal <= 1, "more than one terminal event");
    assert_eq!(decoded, seen, "decoder and connection disagree");
});
