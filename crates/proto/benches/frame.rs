//! Frame codec throughput: decoding large DATA frames, decoding a mix of
//! small control frames, and encoding DATA frames into a reused buffer.

use std::hint::black_box;
use std::time::Duration;

use baton_proto::h2::frame::{Data, Frame, FrameDecoder, Headers, Ping, Settings, StreamId, WindowUpdate};
use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const DATA_PAYLOAD: usize = 16 * 1024;
const DATA_FRAMES: usize = 256;
const SMALL_ROUNDS: usize = 1000;

/// 256 DATA frames of 16 KiB each (4 MiB of payload).
fn data_input() -> BytesMut {
    let payload = vec![0xa5u8; DATA_PAYLOAD];
    let mut buf = BytesMut::new();
    for i in 0..DATA_FRAMES {
        Data::encode_slice(&mut buf, StreamId::new(1), &payload, i + 1 == DATA_FRAMES);
    }
    buf
}

/// A mix of small frames: HEADERS with a 100-byte block, WINDOW_UPDATE, PING
/// and SETTINGS, repeated.
fn small_input() -> BytesMut {
    let block = Bytes::from(vec![0x82u8; 100]);
    let mut buf = BytesMut::new();
    for i in 0..SMALL_ROUNDS {
        let stream = StreamId::new(2 * i as u32 + 1);
        let frames = [
            Frame::Headers(Headers {
                stream_id: stream,
                end_stream: true,
                end_headers: true,
                priority: None,
                pad_len: None,
                fragment: block.clone(),
            }),
            Frame::WindowUpdate(WindowUpdate { stream_id: StreamId::ZERO, increment: 65_535 }),
            Frame::Ping(Ping { ack: i % 2 == 0, payload: [7; 8] }),
            Frame::Settings(Settings {
                initial_window_size: Some(1 << 20),
                max_concurrent_streams: Some(100),
                max_frame_size: Some(1 << 16),
                ..Settings::default()
            }),
        ];
        for frame in &frames {
            frame.encode(&mut buf);
        }
    }
    buf
}

fn decode_everything(dec: &mut FrameDecoder, mut buf: BytesMut) -> usize {
    let mut count = 0;
    while let Ok(Some(frame)) = dec.decode(&mut buf) {
        black_box(&frame);
        count += 1;
    }
    count
}

fn bench_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_decode");
    for (name, input, frames) in
        [("data_16k", data_input(), DATA_FRAMES), ("small_mix", small_input(), 4 * SMALL_ROUNDS)]
    {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            let mut dec = FrameDecoder::new();
            // The copy of the input into a fresh read buffer is not timed.
            b.iter_batched(
                || input.clone(),
                |buf| assert_eq!(decode_everything(&mut dec, buf), frames),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn bench_encode(c: &mut Criterion) {
    let payload = vec![0x5au8; DATA_PAYLOAD];
    let mut group = c.benchmark_group("frame_encode");
    group.throughput(Throughput::Bytes((DATA_FRAMES * (DATA_PAYLOAD + 9)) as u64));
    group.bench_function("data_16k_reused_buffer", |b| {
        let mut dst = BytesMut::with_capacity(DATA_FRAMES * (DATA_PAYLOAD + 9));
        b.iter(|| {
            dst.clear();
            for i in 0..DATA_FRAMES {
                Data::encode_slice(&mut dst, StreamId::new(1), black_box(&payload), i % 64 == 63);
            }
            black_box(dst.len())
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
    targets = bench_decode, bench_encode
}
criterion_main!(benches);
