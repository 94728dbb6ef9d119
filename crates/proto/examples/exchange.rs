//! A scripted HTTP/2 exchange through the sans-IO engine, no sockets.
//!
//! A tiny in-process server (the frame codec and HPACK from this crate)
//! behaves like nginx reaching `keepalive_requests`: it sends GOAWAY with the
//! last stream it will answer, answers the streams at or below it, and
//! ignores the rest. The client engine reports what happened to every
//! request and the verdict that decides whether it may be retried.
//!
//! Run with `cargo run --release -p baton-proto --example exchange`.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Method, Uri};

use baton_proto::h2::frame::{Data, Frame, FrameDecoder, GoAway, Headers, Reason, Settings, StreamId};
use baton_proto::h2::hpack::{Encoder, HeaderRef};
use baton_proto::h2::{Config, Connection, Event, PREFACE};

/// The server's side of the wire: frames in, frames out.
struct ScriptedServer {
    decoder: FrameDecoder,
    encoder: Encoder,
    inbox: BytesMut,
    requests: Vec<StreamId>,
}

impl ScriptedServer {
    fn receive(&mut self, bytes: &[u8]) {
        self.inbox.extend_from_slice(bytes);
        if self.inbox.starts_with(PREFACE) {
            let _ = self.inbox.split_to(PREFACE.len());
        }
        while let Ok(Some(frame)) = self.decoder.decode(&mut self.inbox) {
            if let Frame::Headers(h) = frame {
                self.requests.push(h.stream_id);
            }
        }
    }

    fn response(&mut self, id: StreamId, body: &str, out: &mut BytesMut) {
        let mut block = BytesMut::new();
        let len = body.len().to_string();
        let fields = [(&b":status"[..], &b"200"[..]), (b"content-length", len.as_bytes())];
        self.encoder.encode(
            fields.iter().map(|(n, v)| HeaderRef { name: n, value: v, sensitive: false }),
            &mut block,
        );
        let head = Headers {
            stream_id: id,
            end_stream: false,
            end_headers: true,
            priority: None,
            pad_len: None,
            fragment: block.freeze(),
        };
        Frame::Headers(head).encode(out);
        Frame::Data(Data::new(id, Bytes::copy_from_slice(body.as_bytes()), true)).encode(out);
    }
}

fn main() {
    let now = Instant::now();
    let mut client = Connection::new(Config::default(), now);
    let mut server = ScriptedServer {
        decoder: FrameDecoder::new(),
        encoder: Encoder::new(),
        inbox: BytesMut::new(),
        requests: Vec::new(),
    };
    let wire = |client: &mut Connection, server: &mut ScriptedServer| {
        let out = client.poll_transmit(now).to_vec();
        client.handle_written(out.len());
        server.receive(&out);
    };

    // Handshake: the server's SETTINGS and its ACK of ours.
    wire(&mut client, &mut server);
    let mut out = BytesMut::new();
    Frame::Settings(Settings { max_concurrent_streams: Some(100), ..Settings::default() }).encode(&mut out);
    Frame::Settings(Settings::ack()).encode(&mut out);
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
    wire(&mut client, &mut server);
    println!("server received {} request heads", server.requests.len());

    // nginx at keepalive_requests: GOAWAY(last=7) first, then the answers
    // for 1..=7; streams 9 and 11 are ignored.
    let last = StreamId::new(7);
    let mut out = BytesMut::new();
    Frame::GoAway(GoAway { last_stream_id: last, error_code: Reason::NO_ERROR, debug_data: Bytes::new() })
        .encode(&mut out);
    for id in server.requests.clone().into_iter().filter(|id| *id <= last) {
        server.response(id, "done", &mut out);
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
