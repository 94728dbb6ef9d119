//! The client connection fed arbitrary server bytes after a valid server
//! preface, with requests, body uploads, releases and timers interleaved.
//!
//! Invariants checked: no panic; every stream gets at most one terminal event
//! (`StreamEnded` or `StreamFailed`); once `Closed` is reported, nothing else
//! follows and no stream remains.
#![no_main]

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

use baton_proto::h2::frame::{Frame, Settings, StreamId};
use baton_proto::h2::{Config, Connection, Event};

mod invariants;
use invariants::Terminal;

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let mut now = start;
    let mut config = Config::default();
    config.max_control_frames_in_a_row = 64;
    let mut conn = Connection::new(config, now);
    let mut wire = BytesMut::new();
    Frame::Settings(Settings::default()).encode(&mut wire);
    conn.handle_read(&wire, now);

    let uri: http::Uri = "https://example.com/p".parse().unwrap();
    let headers = http::HeaderMap::new();
    let mut open: Vec<StreamId> = Vec::new();
    let mut events = Terminal::default();

    // Each chunk: 1 control byte, then up to 63 server bytes.
    for chunk in data.chunks(64) {
        let (op, bytes) = chunk.split_first().unwrap();
        match op % 8 {
            0 => {
                if let Ok(id) = conn.send_request(&http::Method::GET, &uri, &headers, true, now) {
                    open.push(id);
                }
            }
            1 => {
                if let Ok(id) = conn.send_request(&http::Method::POST, &uri, &headers, false, now) {
                    open.push(id);
                    let _ = conn.send_data(id, Bytes::from(vec![0u8; 70_000]), true);
                }
            }
            2 => {
                now += Duration::from_secs(u64::from(*op) + 1);
                conn.handle_timeout(now);
            }
            3 => {
                if let Some(id) = open.first() {
                    conn.reset(*id, baton_proto::h2::frame::Reason::CANCEL, now);
                    events.reset_locally(*id);
                }
            }
            _ => {}
        }
        // Write everything, half of it at a time.
        loop {
            let out = conn.poll_transmit(now);
            if out.is_empty() {
                break;
            }
            let n = out.len().div_ceil(2);
            conn.handle_written(n);
        }
        conn.handle_read(bytes, now);
        events.drain(&mut conn, true);
    }
    conn.handle_eof(now);
    while let Some(event) = conn.poll_event() {
        if let Event::StreamFailed(f) = event {
            events.ended(f.stream_id);
        }
    }
    assert_eq!(conn.active_streams(), 0);
});
