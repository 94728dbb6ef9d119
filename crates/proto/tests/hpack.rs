//! HPACK interoperability against the hpack-test-case corpus
//! (https://github.com/http2jp/hpack-test-case, MIT licensed; a copy of
//! three of its directories is in `tests/fixtures/hpack-test-case`).
//!
//! Set `HPACK_TEST_CASE_DIR` to run over another checkout:
//! `HPACK_TEST_CASE_DIR=<dir> cargo test -p baton-proto hpack -- --nocapture`.
//!
//! - Decoding: every directory whose stories carry `wire` (another
//!   implementation's encoder output) is decoded story by story, one
//!   decoder per story, and compared with `headers`, order included.
//! - Encoding: every story of every directory (`raw-data` too) is encoded
//!   and decoded again by our own encoder and decoder.
//! - Ratio: over the `nghttp2` directory, our encoding must stay within 5%
//!   of nghttp2's.

use std::path::{Path, PathBuf};

use baton_proto::h2::hpack::{Decoder, Encoder, HeaderRef};
use bytes::{Bytes, BytesMut};
use serde_json::Value;

/// RFC 9113 §6.5.2: SETTINGS_HEADER_TABLE_SIZE starts at 4096.
const DEFAULT_TABLE_SIZE: usize = 4096;

struct Case {
    seqno: usize,
    /// SETTINGS_HEADER_TABLE_SIZE sent and ACKed just before this case.
    header_table_size: Option<usize>,
    wire: Option<Vec<u8>>,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
}

struct Story {
    file: String,
    cases: Vec<Case>,
}

struct Directory {
    name: String,
    stories: Vec<Story>,
}

impl Directory {
    /// Whether the stories are another encoder's output (have `wire`).
    fn has_wire(&self) -> bool {
        self.stories.iter().flat_map(|s| &s.cases).any(|c| c.wire.is_some())
    }
}

fn root() -> PathBuf {
    match std::env::var_os("HPACK_TEST_CASE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hpack-test-case"),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex length");
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn parse_story(path: &Path) -> Story {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases = json["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no cases", path.display()))
        .iter()
        .enumerate()
        .map(|(i, case)| Case {
            seqno: case["seqno"].as_u64().map_or(i, |n| n as usize),
            header_table_size: case["header_table_size"].as_u64().map(|n| n as usize),
            wire: case["wire"].as_str().map(unhex),
            headers: case["headers"]
                .as_array()
                .expect("headers")
                .iter()
                .flat_map(|h| h.as_object().expect("header object"))
                .map(|(name, value)| {
                    let value = value.as_str().expect("header value");
                    (name.as_bytes().to_vec(), value.as_bytes().to_vec())
                })
                .collect(),
        })
        .collect();
    Story { file: path.file_name().unwrap().to_string_lossy().into_owned(), cases }
}

/// Every subdirectory with `story_*.json` files, sorted, stories sorted.
fn directories() -> Vec<Directory> {
    let root = root();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .filter_map(|dir| {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name.starts_with("story_") && name.ends_with(".json")
                })
                .collect();
            if files.is_empty() {
                return None;
            }
            files.sort();
            Some(Directory {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                stories: files.iter().map(|f| parse_story(f)).collect(),
            })
        })
        .collect()
}

fn decode(decoder: &mut Decoder, block: &Bytes) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut got = Vec::new();
    decoder
        .decode(block, |h| got.push((h.name.to_vec(), h.value.to_vec())))
        .map(|()| got)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn refs(headers: &[(Vec<u8>, Vec<u8>)]) -> impl Iterator<Item = HeaderRef<'_>> {
    headers.iter().map(|(name, value)| HeaderRef { name, value, sensitive: false })
}

/// Encodes a story with one encoder, returning each case's block.
fn encode_story(story: &Story) -> Vec<Bytes> {
    let mut encoder = Encoder::new();
    story
        .cases
        .iter()
        .map(|case| {
            if let Some(size) = case.header_table_size {
                encoder.set_max_table_size(size);
            }
            let mut dst = BytesMut::new();
            encoder.encode(refs(&case.headers), &mut dst);
            dst.freeze()
        })
        .collect()
}

#[test]
fn hpack_test_case_decode() {
    let (mut total_stories, mut total_cases) = (0, 0);
    for dir in directories().iter().filter(|d| d.has_wire()) {
        let mut cases = 0;
        for story in &dir.stories {
            let mut decoder = Decoder::new(DEFAULT_TABLE_SIZE);
            for case in &story.cases {
                if let Some(size) = case.header_table_size {
                    decoder.set_max_table_size(size);
                }
                let where_ = format!("{}/{} seqno {}", dir.name, story.file, case.seqno);
                let wire = case.wire.as_ref().unwrap_or_else(|| panic!("{where_}: no wire"));
                let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decode(&mut decoder, &Bytes::copy_from_slice(wire))
                }))
                .unwrap_or_else(|_| panic!("{where_}: decoding failed"));
                assert!(got == case.headers, "{where_}: decoded headers differ");
                cases += 1;
            }
        }
        println!("hpack-test-case: {}: {} stories, {} cases", dir.name, dir.stories.len(), cases);
        total_stories += dir.stories.len();
        total_cases += cases;
    }
    println!("hpack-test-case: decoded {total_stories} stories, {total_cases} cases in all");
    assert!(total_cases > 0, "no hpack-test-case cases found under {}", root().display());
}

#[test]
fn hpack_test_case_encode_round_trip() {
    let (mut total_stories, mut total_cases) = (0, 0);
    for dir in directories() {
        let mut cases = 0;
        for story in &dir.stories {
            let blocks = encode_story(story);
            let mut decoder = Decoder::new(DEFAULT_TABLE_SIZE);
            for (case, block) in story.cases.iter().zip(&blocks) {
                if let Some(size) = case.header_table_size {
                    decoder.set_max_table_size(size);
                }
                let got = decode(&mut decoder, block);
                assert!(
                    got == case.headers,
                    "{}/{} seqno {}: round trip differs",
                    dir.name,
                    story.file,
                    case.seqno
                );
                cases += 1;
            }
        }
        println!("hpack-test-case round trip: {}: {} stories, {} cases", dir.name, dir.stories.len(), cases);
        total_stories += dir.stories.len();
        total_cases += cases;
    }
    println!("hpack-test-case round trip: {total_stories} stories, {total_cases} cases in all");
    assert!(total_cases > 0, "no hpack-test-case cases found under {}", root().display());
}

#[test]
fn hpack_test_case_compression_ratio_vs_nghttp2() {
    let Some(dir) = directories().into_iter().find(|d| d.name == "nghttp2") else {
        println!("hpack-test-case: no nghttp2 directory under {}, ratio skipped", root().display());
        return;
    };
    let (mut ours, mut theirs, mut raw) = (0usize, 0usize, 0usize);
    for story in &dir.stories {
        ours += encode_story(story).iter().map(Bytes::len).sum::<usize>();
        for case in &story.cases {
            theirs += case.wire.as_ref().map_or(0, Vec::len);
            raw += case.headers.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>();
        }
    }
    let ratio = ours as f64 / theirs as f64;
    println!(
        "hpack-test-case: nghttp2 directory: ours {ours} octets, nghttp2 {theirs} octets, \
         ratio {ratio:.4} (headers {raw} octets, ours {:.1}% of that)",
        100.0 * ours as f64 / raw as f64
    );
    assert!(theirs > 0, "nghttp2 directory has no wire data");
    assert!(ratio <= 1.05, "our encoding is {ratio:.4} x nghttp2's");
}
