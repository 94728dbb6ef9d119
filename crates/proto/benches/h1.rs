//! HTTP/1.1 response decoding throughput: response heads (httparse plus
//! building the `HeaderMap`), chunked bodies with large and small chunks,
//! and a whole keep-alive exchange through `h1::Connection`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use baton_proto::h1::{Config, Connection, Decoded, Event, ResponseDecoder};
use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, Method, Uri};

/// A head like a CDN's: 14 fields, about 600 bytes.
const HEAD: &[u8] = b"HTTP/1.1 200 OK\r\n\
date: Mon, 27 Jul 2026 12:28:53 GMT\r\n\
content-type: application/json; charset=utf-8\r\n\
content-length: 0\r\n\
connection: keep-alive\r\n\
cache-control: public, max-age=3600\r\n\
etag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\r\n\
last-modified: Wed, 21 Oct 2025 07:28:00 GMT\r\n\
server: nginx/1.27.0\r\n\
vary: Accept-Encoding\r\n\
x-cache: HIT from edge-fra-01\r\n\
x-request-id: 5f0c6a4e-8d3b-4b5e-9d7a-2f1e0c9b8a7d\r\n\
strict-transport-security: max-age=31536000; includeSubDomains\r\n\
set-cookie: session=abcdef0123456789; Path=/; HttpOnly; Secure\r\n\
alt-svc: h3=\":443\"; ma=86400\r\n\r\n";

const HEADS: usize = 1000;
const BODY: usize = 4 << 20;

fn chunked_body(chunk: usize) -> BytesMut {
    let payload = vec![0xa5u8; chunk];
    let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"[..]);
    for _ in 0..BODY / chunk {
        buf.extend_from_slice(format!("{chunk:x}\r\n").as_bytes());
        buf.extend_from_slice(&payload);
        buf.extend_from_slice(b"\r\n");
    }
    buf.extend_from_slice(b"0\r\n\r\n");
    buf
}

/// Decodes one whole response; returns the body length.
fn decode_response(buf: &mut BytesMut) -> usize {
    let mut dec = ResponseDecoder::new(Config::default(), false);
    let mut body = 0;
    while let Ok(Some(item)) = dec.decode(buf) {
        match item {
            Decoded::Data(d) => body += d.len(),
            Decoded::End => break,
            other => {
                black_box(other);
            }
        }
    }
    body
}

fn bench_heads(c: &mut Criterion) {
    let mut input = BytesMut::new();
    for _ in 0..HEADS {
        input.extend_from_slice(HEAD);
    }
    let mut group = c.benchmark_group("h1_head");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("600b_15_fields", |b| {
        b.iter_batched(
            || input.clone(),
            |mut buf| {
                for _ in 0..HEADS {
                    decode_response(&mut buf);
                }
                assert!(buf.is_empty());
            },
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn bench_chunked(c: &mut Criterion) {
    let mut group = c.benchmark_group("h1_chunked");
    for chunk in [16 << 10, 1 << 10, 64] {
        let input = chunked_body(chunk);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(format!("4mib_in_{chunk}b_chunks"), |b| {
            b.iter_batched(
                || input.clone(),
                |mut buf| assert_eq!(decode_response(&mut buf), BODY),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

/// The whole engine: request out, chunked response in 16 KiB reads (as a
/// socket delivers it), events drained.
fn bench_connection(c: &mut Criterion) {
    let input = chunked_body(16 << 10);
    let uri: Uri = "http://bench.example/data".parse().unwrap_or_default();
    let headers = HeaderMap::new();
    let now = Instant::now();
    let mut group = c.benchmark_group("h1_connection");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("get_4mib_chunked_16k_reads", |b| {
        let mut conn = Connection::new(Config::default());
        b.iter(|| {
            let sent = conn.send_request(&Method::GET, &uri, &headers, Some(0), now);
            assert!(sent.is_ok(), "{sent:?}");
            let n = conn.poll_transmit().len();
            conn.handle_written(n);
            let mut body = 0;
            for read in input.chunks(16 << 10) {
                conn.handle_read(read, now);
                while let Some(ev) = conn.poll_event() {
                    if let Event::DataReceived { data } = ev {
                        body += data.len();
                    }
                }
            }
            assert_eq!(body, BODY);
            assert!(conn.is_reusable());
        });
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_heads, bench_chunked, bench_connection
}
criterion_main!(benches);
