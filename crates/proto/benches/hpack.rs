//! HPACK throughput over the hpack-test-case `raw-data` stories (real header
//! lists from http2/http_samples), in header-list octets (names plus values)
//! per second.
//!
//! - `encode/raw-data`: every story with a fresh encoder, every case in order;
//! - `decode/raw-data`: the blocks our encoder produced for the same stories;
//! - `decode/nghttp2-wire`: nghttp2's blocks for the same header lists, which
//!   Huffman-code almost every string.
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

criterion_group!(benches, bench);
criterion_main!(benches);
