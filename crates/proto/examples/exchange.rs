//! A scripted HTTP/2 exchange through the sans-IO engine, no sockets.
//!
//! A tiny in-process server (baton-testkit's scripted `Peer`, on this
//! crate's frame codec and HPACK) behaves like nginx reaching
//! `keepalive_requests`: it sends GOAWAY with the last stream it will
//! answer, answers the streams at or below it, and ignores the rest. The
//! client engine reports what happened to every request and the verdict
//! that decides whether it may be retried.
//!
//! Run with `cargo run --release -p baton-proto --example exchange`.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Uri};

use baton_proto::h2::frame::{Frame, Reason, Settings, StreamId};
use baton_proto::h2::{Config, Connection, Event};
use baton_testkit::{Peer, frames};

/// Writes everything the client has to the server; returns the streams
/// whose request heads the server received.
fn wire(client: &mut Connection, server: &mut Peer, now: Instant) -> Vec<StreamId> {
    let out = client.poll_transmit(now).to_vec();
    client.handle_written(out.len());
    let frames = server.receive(&out);
    frames.iter().filter_map(|f| if let Frame::Headers(h) = f { Some(h.stream_id) } else { None }).collect()
}

fn main() {
    let now = Instant::now();
    let mut client = Connection::new(Config::default(), now);
    let mut server = Peer::new();

    // Handshake: the server's SETTINGS and its ACK of ours.
    wire(&mut client, &mut server, now);
    let mut out = BytesMut::new();
    Frame::Settings(Settings { max_concurrent_streams: Some(100), ..Settings::default() }).encode(&mut out);
    frames::settings_ack().encode(&mut out);
    client.handle_read(&out, now);

    // Six requests: four GETs and two POSTs.
    let uri: Uri = "https://example.com/item".parse().expect("static URI");
    let headers = HeaderMap::new();
    let mut methods = Vec::new();
    for i in 0..6 {
        let method = if i % 3 == 2 { Method::POST } else { Method::GET };
        let end = method == Method::GET;
        let id = client.send_request(&method, &uri, &headers, end, now).expect("connection is open");
        if !end {
            client.send_data(id, Bytes::from_static(b"{\"n\":1}"), true).expect("stream is open");
        }
        methods.push((id, method));
    }
    let requests = wire(&mut client, &mut server, now);
    println!("server received {} request heads", requests.len());

    // nginx at keepalive_requests: GOAWAY(last=7) first, then the answers
    // for 1..=7; streams 9 and 11 are ignored.
    let last = StreamId::new(7);
    let mut out = BytesMut::new();
    frames::go_away(last.value(), Reason::NO_ERROR).encode(&mut out);
    for id in requests.into_iter().filter(|id| *id <= last) {
        let body = "done";
        let length = body.len().to_string();
        server
            .headers(id.value(), &[(":status", "200"), ("content-length", &length)], false)
            .encode(&mut out);
        frames::data(id.value(), body.as_bytes(), true).encode(&mut out);
    }
    client.handle_read(&out, now);
    client.handle_eof(now);

    println!("{:<8} {:<6} {:<44} verdict", "stream", "method", "outcome");
    while let Some(event) = client.poll_event() {
        let method = |id: StreamId| methods.iter().find(|(s, _)| *s == id).map_or("", |(_, m)| m.as_str());
        match event {
            Event::GoAwayReceived(g) => {
                println!("GOAWAY last_stream_id={} error_code={}", g.last_stream_id, g.error_code)
            }
            Event::StreamEnded { stream_id } => {
                println!("{:<8} {:<6} {:<44} -", stream_id.value(), method(stream_id), "200, complete")
            }
            Event::StreamFailed(f) => {
                let retry = if f.processing.is_safe_to_retry() { "safe to retry" } else { "not retried" };
                let outcome = format!("failed at \"{}\" ({retry})", f.phase);
                println!(
                    "{:<8} {:<6} {:<44} {}",
                    f.stream_id.value(),
                    method(f.stream_id),
                    outcome,
                    f.processing
                );
            }
            Event::Closed(cause) => println!("connection closed: {cause}"),
            _ => {}
        }
    }
}
