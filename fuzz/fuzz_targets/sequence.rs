//! Operation sequences: arbitrary interleavings of user commands (requests,
//! uploads, trailers, resets, pings, GOAWAY, partial writes, timers, EOF) and
//! well-formed-or-nearly peer frames, driving the client connection state
//! machine (STYLE.md §5).
//!
//! Where the `connection` target feeds raw bytes, this one feeds frames, so it
//! reaches deep states (half-closed streams, flow-controlled uploads, GOAWAY
//! draining, CONTINUATION sequences) in a few operations.
//!
//! Invariants checked, besides "no panic":
//! - every byte the client writes decodes as valid frames after the preface;
//! - the client never sends more DATA than the connection window the peer
//!   granted (RFC 9113 §6.9.1) and never more on a stream than the largest
//!   initial window plus the stream's updates;
//! - no DATA or HEADERS on a stream after the client sent END_STREAM on it
//!   (§5.1, half-closed (local)); RST_STREAM still may be;
//! - every stream gets at most one terminal event, and nothing follows Closed;
//! - a body held for `100 (Continue)` sends no DATA until the server's `100`
//!   or 2xx, or the end of the wait; after any other final status, never
//!   (RFC 9110 §10.1.1);
//! - no stream failed as `NotSent` ever has a whole header block on the wire
//!   (it may be retried elsewhere), before its failure or after, however the
//!   bytes were written: straight from the engine's buffer, or handed out by
//!   `take_transmit` and written in pieces as the client's driver does.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

use baton_proto::h2::frame::{Frame, Reason, Settings, StreamId};
use baton_proto::h2::{Config, Connection};
use baton_testkit::{FieldBlocks, frames};

mod invariants;
use invariants::Terminal;

#[derive(Arbitrary, Debug)]
enum Op {
    // User commands.
    Get,
    /// A head too large for one frame: HEADERS + CONTINUATION.
    BigGet {
        len: u16,
    },
    Post {
        body: u16,
        end: bool,
    },
    /// A POST whose body the engine holds for `100 (Continue)`.
    ExpectPost {
        body: u16,
    },
    SendData {
        pick: u8,
        len: u16,
        end: bool,
    },
    Trailers {
        pick: u8,
    },
    Reset {
        pick: u8,
        code: u8,
    },
    Release {
        pick: u8,
        n: u16,
    },
    /// An ended body's bytes, handed back to the connection window only.
    ReleaseConnection {
        n: u16,
    },
    UserPing,
    UserGoAway,
    Write {
        n: u16,
        take: bool,
    },
    Advance {
        ms: u16,
    },
    // Peer frames.
    Response {
        pick: u8,
        status: u8,
        end_stream: bool,
        split: bool,
    },
    PeerData {
        pick: u8,
        len: u16,
        end_stream: bool,
        pad: Option<u8>,
    },
    PeerTrailers {
        pick: u8,
    },
    PeerRst {
        pick: u8,
        code: u8,
    },
    PeerSettings {
        window: Option<u32>,
        streams: Option<u8>,
        frame: Option<u32>,
        table: Option<u16>,
    },
    PeerSettingsAck,
    PeerPing {
        ack: bool,
    },
    PeerGoAway {
        pick: u8,
        code: u8,
    },
    PeerWindow {
        pick: Option<u8>,
        inc: u32,
    },
    PeerRaw {
        bytes: Vec<u8>,
    },
    PeerEof,
}

const STATUSES: [&str; 6] = ["200", "100", "204", "404", "103", "abc"];

struct Peer {
    /// The codec: preface, frames, the server's HPACK encoder.
    codec: baton_testkit::Peer,
    // Flow-control accounting of what the client sent (RFC 9113 §6.9).
    conn_window: i64,
    max_initial_window: i64,
    stream_updates: HashMap<StreamId, i64>,
    stream_sent: HashMap<StreamId, i64>,
    ended: HashSet<StreamId>,
    /// Streams whose request header block arrived whole (END_HEADERS).
    heads: HashSet<StreamId>,
    /// The client's header blocks, with nothing between a block's frames
    /// (§6.10).
    blocks: FieldBlocks,
    /// Bodies held for `100 (Continue)`, with the end of their wait.
    held_bodies: HashMap<StreamId, Instant>,
    /// Bodies refused by a final status other than 2xx.
    refused_bodies: HashSet<StreamId>,
}

impl Peer {
    /// Checks every complete frame the client wrote.
    fn receive(&mut self, bytes: &[u8]) {
        for frame in self.codec.receive(bytes) {
            // RFC 9113 §6.10: nothing comes between a block's frames.
            if let Some(block) = self.blocks.observe(&frame).unwrap_or_else(|e| panic!("{e}")) {
                self.heads.insert(block.stream_id);
            }
            match frame {
                Frame::Data(d) => {
                    let id = d.stream_id;
                    assert!(!self.ended.contains(&id), "DATA after END_STREAM on {id}");
                    assert!(!self.held_bodies.contains_key(&id), "DATA on {id} while its body is held");
                    assert!(!self.refused_bodies.contains(&id), "DATA on {id} after its body was refused");
                    let n = d.data.len() as i64 + d.pad_len.map_or(0, |p| i64::from(p) + 1);
                    self.conn_window -= n;
                    assert!(self.conn_window >= 0, "connection window overrun");
                    let sent = self.stream_sent.entry(id).or_default();
                    *sent += n;
                    let allowed =
                        self.max_initial_window + self.stream_updates.get(&id).copied().unwrap_or(0);
                    assert!(*sent <= allowed, "stream {id} window overrun: {sent} > {allowed}");
                    if d.end_stream {
                        self.ended.insert(id);
                    }
                }
                Frame::Headers(h) => {
                    assert!(
                        !self.ended.contains(&h.stream_id),
                        "HEADERS after END_STREAM on {}",
                        h.stream_id
                    );
                    if h.end_stream {
                        self.ended.insert(h.stream_id);
                    }
                }
                Frame::PushPromise(_) => panic!("a client never sends PUSH_PROMISE"),
                _ => {}
            }
        }
    }
}

fn pick(ids: &[StreamId], p: u8) -> StreamId {
    // Mostly a stream the client opened; sometimes one it did not (idle,
    // even, or zero), which the client must treat as the RFC says.
    if ids.is_empty() || p >= 240 { StreamId::new(u32::from(p % 8)) } else { ids[p as usize % ids.len()] }
}

fuzz_target!(|ops: Vec<Op>| {
    let start = Instant::now();
    let mut now = start;
    let mut config = Config::default();
    config.max_control_frames_in_a_row = 64;
    config.max_send_buffer = 100_000;
    let mut conn = Connection::new(config, now);
    let mut peer = Peer {
        codec: baton_testkit::Peer::new(),
        conn_window: 65_535,
        max_initial_window: 65_535,
        stream_updates: HashMap::new(),
        stream_sent: HashMap::new(),
        ended: HashSet::new(),
        heads: HashSet::new(),
        blocks: FieldBlocks::default(),
        held_bodies: HashMap::new(),
        refused_bodies: HashSet::new(),
    };
    // Bytes handed out by `take_transmit`, not yet written (the driver's
    // `pending`).
    let mut held = Bytes::new();
    let mut wire = BytesMut::new();
    frames::settings().encode(&mut wire);
    conn.handle_read(&wire, now);

    let uri: http::Uri = "https://example.com/p".parse().unwrap();
    let headers = http::HeaderMap::new();
    let mut trailers = http::HeaderMap::new();
    trailers.insert("x-t", http::HeaderValue::from_static("1"));
    let mut ids: Vec<StreamId> = Vec::new();
    let mut events = Terminal::default();

    for op in ops.into_iter().take(512) {
        // The peer frames this operation sends.
        let mut out: Vec<Frame> = Vec::new();
        match op {
            Op::Get => {
                if let Ok(id) = conn.send_request(&http::Method::GET, &uri, &headers, true, now) {
                    ids.push(id);
                }
            }
            Op::BigGet { len } => {
                let mut big = http::HeaderMap::new();
                // Over 16 KiB once encoded (HPACK sends '~' raw: its
                // Huffman code is longer than a byte), so over one frame.
                let value = "~".repeat(16_400 + usize::from(len % 4_096));
                if let Ok(v) = http::HeaderValue::from_str(&value) {
                    big.insert("x-big", v);
                }
                if let Ok(id) = conn.send_request(&http::Method::GET, &uri, &big, true, now) {
                    ids.push(id);
                }
            }
            Op::Post { body, end } => {
                if let Ok(id) = conn.send_request(&http::Method::POST, &uri, &headers, false, now) {
                    ids.push(id);
                    let _ = conn.send_data(id, Bytes::from(vec![7u8; usize::from(body)]), end);
                }
            }
            Op::ExpectPost { body } => {
                if let Ok(id) = conn.send_request(&http::Method::POST, &uri, &headers, false, now) {
                    ids.push(id);
                    conn.hold_body(id, now);
                    peer.held_bodies.insert(id, now + Config::default().continue_wait);
                    let _ = conn.send_data(id, Bytes::from(vec![9u8; usize::from(body)]), true);
                }
            }
            Op::SendData { pick: p, len, end } => {
                let _ = conn.send_data(pick(&ids, p), Bytes::from(vec![1u8; usize::from(len)]), end);
            }
            Op::Trailers { pick: p } => {
                let _ = conn.send_trailers(pick(&ids, p), trailers.clone());
            }
            Op::Reset { pick: p, code } => {
                let id = pick(&ids, p);
                if ids.contains(&id) && !events.is_finished(id) {
                    conn.reset(id, Reason::new(u32::from(code % 14)), now);
                    events.reset_locally(id);
                }
            }
            Op::Release { pick: p, n } => conn.release_capacity(pick(&ids, p), usize::from(n)),
            Op::ReleaseConnection { n } => conn.release_connection_capacity(usize::from(n)),
            Op::UserPing => conn.ping(*b"fuzzping"),
            Op::UserGoAway => conn.go_away(Reason::NO_ERROR, now),
            Op::Write { n, take } => {
                if held.is_empty() && take {
                    held = conn.take_transmit(now);
                }
                if held.is_empty() {
                    let out = conn.poll_transmit(now);
                    let n = usize::from(n).min(out.len());
                    peer.receive(&out[..n]);
                    conn.handle_written(n);
                } else {
                    let part = held.split_to(usize::from(n).min(held.len()));
                    peer.receive(&part);
                    conn.handle_written(part.len());
                }
            }
            Op::Advance { ms } => {
                now += Duration::from_millis(u64::from(ms) * 16);
                conn.handle_timeout(now);
                peer.held_bodies.retain(|_, until| *until > now);
            }
            Op::Response { pick: p, status, end_stream, split } => {
                let status = STATUSES[usize::from(status) % STATUSES.len()];
                let fragment =
                    peer.codec.encode_block(&[(":status", status), ("content-type", "text/plain")]);
                let stream_id = pick(&ids, p);
                // What the status does to a held body (RFC 9110 §10.1.1).
                if peer.held_bodies.contains_key(&stream_id) {
                    if status == "100" || status.starts_with('2') {
                        peer.held_bodies.remove(&stream_id);
                    } else if status == "404" {
                        peer.held_bodies.remove(&stream_id);
                        peer.refused_bodies.insert(stream_id);
                    }
                }
                let id = stream_id.value();
                if split && fragment.len() > 1 {
                    let mut first = fragment;
                    let second = first.split_off(first.len() / 2);
                    out.push(frames::headers_fragment(id, first, end_stream, false));
                    out.push(frames::continuation(id, second, true));
                } else {
                    out.push(frames::headers_fragment(id, fragment, end_stream, true));
                }
            }
            Op::PeerData { pick: p, len, end_stream, pad } => {
                let (id, payload) = (pick(&ids, p).value(), vec![b'd'; usize::from(len % 20_000)]);
                out.push(match pad {
                    Some(pad) => frames::padded_data(id, &payload, end_stream, pad),
                    None => frames::data(id, &payload, end_stream),
                });
            }
            Op::PeerTrailers { pick: p } => {
                out.push(peer.codec.headers(pick(&ids, p).value(), &[("grpc-status", "0")], true));
            }
            Op::PeerRst { pick: p, code } => {
                out.push(frames::rst(pick(&ids, p).value(), Reason::new(u32::from(code))));
            }
            Op::PeerSettings { window, streams, frame, table } => {
                let window = window.map(|w| w % (1 << 31));
                let frame = frame.map(|f| (1 << 14) + f % ((1 << 24) - (1 << 14)));
                if let Some(f) = frame {
                    // Until the client acknowledges, either size may be in use.
                    let max = peer.codec.decoder.max_frame_size().max(f);
                    peer.codec.decoder.set_max_frame_size(max);
                }
                if let Some(w) = window {
                    peer.max_initial_window = peer.max_initial_window.max(i64::from(w));
                }
                out.push(Frame::Settings(Settings {
                    initial_window_size: window,
                    max_concurrent_streams: streams.map(u32::from),
                    max_frame_size: frame,
                    header_table_size: table.map(u32::from),
                    ..Settings::default()
                }));
            }
            Op::PeerSettingsAck => out.push(frames::settings_ack()),
            Op::PeerPing { ack } => {
                out.push(if ack { frames::ping_ack(*b"peerping") } else { frames::ping(*b"peerping") })
            }
            Op::PeerGoAway { pick: p, code } => {
                out.push(frames::go_away_debug(
                    pick(&ids, p).value(),
                    Reason::new(u32::from(code % 14)),
                    b"fuzz",
                ));
            }
            Op::PeerWindow { pick: p, inc } => {
                let stream_id = p.map_or(StreamId::ZERO, |p| pick(&ids, p));
                let inc = inc % (1 << 31);
                if stream_id == StreamId::ZERO {
                    peer.conn_window += i64::from(inc);
                } else {
                    *peer.stream_updates.entry(stream_id).or_default() += i64::from(inc);
                }
                out.push(frames::window_update(stream_id.value(), inc));
            }
            Op::PeerRaw { bytes } => conn.handle_read(&bytes, now),
            Op::PeerEof => conn.handle_eof(now),
        }
        if !out.is_empty() {
            let mut buf = BytesMut::new();
            for f in &out {
                f.encode(&mut buf);
            }
            conn.handle_read(&buf, now);
        }
        events.drain(&mut conn, false);
        // What the engine withdrew at a close is dropped, as the driver does.
        held.truncate(conn.taken_to_write());
        assert!(
            peer.heads.is_disjoint(&events.not_sent),
            "a stream failed as not sent reached the server: {:?}",
            peer.heads.intersection(&events.not_sent).collect::<Vec<_>>()
        );
    }
    // Flush what is left so the write-side invariants see all of it.
    peer.receive(&held);
    conn.handle_written(held.len());
    loop {
        let out = conn.poll_transmit(now);
        if out.is_empty() {
            break;
        }
        let n = out.len();
        let copy = out.to_vec();
        peer.receive(&copy);
        conn.handle_written(n);
    }
    events.drain(&mut conn, false);
    assert!(peer.heads.is_disjoint(&events.not_sent), "a stream failed as not sent reached the server");
});
