//! HPACK throughput over the hpack-test-case `raw-data` stories (real header
//! lists from http2/http_samples), in header-list octets (names plus values)
//! per second.
//!
//! - `encode/raw-data`: every story with a fresh encoder, every case in order;
//! - `decode/raw-data`: the blocks our encoder produced for the same stories;
//! - `decode/nghttp2-wire`: nghttp2's blocks for the same header lists, which
//!   Huffman-code almost every string;
//! - `decode/nginx-response`: the block nginx 1.22 sends with every response
//!   to a static file (107 octets, each field a Huffman-coded literal, most
//!   with incremental indexing), 1,000 times on one connection.
//!
//! `cargo bench -p baton-proto --bench hpack`

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use baton_proto::h2::hpack::{Decoder, Encoder, HeaderRef};
use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

type HeaderList = Vec<(Vec<u8>, Vec<u8>)>;

struct Story {
    lists: Vec<HeaderList>,
    wires: Vec<Bytes>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hpack-test-case")
}

fn load(dir: &str) -> Vec<Story> {
    let dir = fixtures().join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let json: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
            let cases = json["cases"].as_array().unwrap();
            let lists = cases
                .iter()
                .map(|case| {
                    case["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .flat_map(|h| h.as_object().unwrap())
                        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_str().unwrap().as_bytes().to_vec()))
                        .collect()
                })
                .collect();
            let wires = cases
                .iter()
                .filter_map(|case| case["wire"].as_str())
                .map(|hex| {
                    (0..hex.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                        .collect::<Vec<u8>>()
                        .into()
                })
                .collect();
            Story { lists, wires }
        })
        .collect()
}

fn list_octets(stories: &[Story]) -> u64 {
    stories.iter().flat_map(|s| &s.lists).flatten().map(|(n, v)| (n.len() + v.len()) as u64).sum()
}

fn encode_story(story: &Story, dst: &mut BytesMut) -> Vec<Bytes> {
    let mut encoder = Encoder::new();
    story
        .lists
        .iter()
        .map(|list| {
            encoder.encode(list.iter().map(|(name, value)| HeaderRef { name, value, sensitive: false }), dst);
            dst.split().freeze()
        })
        .collect()
}

fn decode_blocks(blocks: &[Bytes]) -> usize {
    let mut decoder = Decoder::new(4096);
    let mut n = 0;
    for block in blocks {
        decoder
            .decode(block, |h| {
                black_box(&h);
                n += 1;
            })
            .unwrap();
    }
    n
}

fn bench(c: &mut Criterion) {
    let raw = load("raw-data");
    let octets = list_octets(&raw);
    let mut scratch = BytesMut::with_capacity(64 * 1024);
    let ours: Vec<Vec<Bytes>> = raw.iter().map(|s| encode_story(s, &mut scratch)).collect();

    let mut group = c.benchmark_group("hpack");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(octets));
    group.bench_function("encode/raw-data", |b| {
        let mut dst = BytesMut::with_capacity(64 * 1024);
        b.iter(|| {
            for story in &raw {
                black_box(encode_story(story, &mut dst));
            }
        })
    });
    group.bench_function("decode/raw-data", |b| {
        b.iter(|| ours.iter().map(|blocks| decode_blocks(blocks)).sum::<usize>())
    });

    let nghttp2 = load("nghttp2");
    group.throughput(Throughput::Bytes(list_octets(&nghttp2)));
    group.bench_function("decode/nghttp2-wire", |b| {
        b.iter(|| nghttp2.iter().map(|s| decode_blocks(&s.wires)).sum::<usize>())
    });
    group.finish();
}

/// Response HEADERS of nginx 1.22.1 for a 100-byte static file, from the
/// wire: `:status 200`, then `server`, `date`, `content-type`,
/// `content-length` and `last-modified` as literals with incremental
/// indexing, `etag` and `accept-ranges` as literals with new names.
const NGINX_RESPONSE: &str = "
    88 76 89 aa 63 55 e5 80 ae 21 2e 1f 61 96 df 69
    7e 94 13 4a 69 3f 75 04 01 38 a0 59 b8 17 ee 34
    05 31 68 df 5f 87 49 7c a5 8a e8 19 aa 5c 03 31
    30 30 6c 96 df 69 7e 94 13 4a 69 3f 75 04 01 38
    a0 1f b8 10 5c 13 ca 62 d1 bf 00 83 2a 47 37 8b
    fe 5c 8c 0d b6 d3 cd 2c e3 5f cf 00 89 19 08 5a
    d2 b5 83 aa 62 a3 84 8f d2 4a 8f";

fn bench_nginx(c: &mut Criterion) {
    let block: Bytes = NGINX_RESPONSE
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect::<Vec<u8>>()
        .into();
    let mut octets = 0;
    Decoder::new(4096).decode(&block, |h| octets += (h.name.len() + h.value.len()) as u64).unwrap();
    let mut group = c.benchmark_group("hpack");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(octets * 1000));
    group.bench_function("decode/nginx-response", |b| {
        let mut decoder = Decoder::new(4096);
        b.iter(|| {
            let mut n = 0;
            for _ in 0..1000 {
                decoder.decode(&block, |h| n += black_box(h).value.len()).unwrap();
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_nginx);
criterion_main!(benches);
