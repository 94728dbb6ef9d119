//! Fuzzes the HTTP/2 frame decoder (RFC 9113 §4, §6).
//!
//! Input layout: byte 0 picks SETTINGS_MAX_FRAME_SIZE, byte 1 seeds the
//! chunk sizes the rest arrives in (0 = all at once), the rest is the byte
//! stream from the peer. Frames are decoded until the input runs dry or a
//! connection error; every decoded frame must re-encode to bytes that decode
//! to the same frame.
#![no_main]

use baton_proto::h2::frame::{DEFAULT_MAX_FRAME_SIZE, Frame, FrameDecoder, MAX_MAX_FRAME_SIZE, Settings};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fn max_frame_size(selector: u8) -> u32 {
    match selector % 4 {
        0 => DEFAULT_MAX_FRAME_SIZE,
        1 => 65_535,
        2 => MAX_MAX_FRAME_SIZE,
        // Below the legal minimum: makes FRAME_SIZE_ERROR paths easy to hit.
        _ => 64,
    }
}

/// Re-encodes `frame` and checks that decoding gives it back.
fn check_round_trip(max: u32, frame: &Frame) {
    let mut buf = BytesMut::new();
    frame.encode(&mut buf);
    let mut dec = FrameDecoder::new();
    dec.set_max_frame_size(max);
    let again = match dec.decode(&mut buf) {
        Ok(Some(again)) => again,
        other => panic!("{frame:?} re-encoded into {other:?}"),
    };
    assert!(buf.is_empty(), "re-encoded {frame:?} left {} bytes", buf.len());
    match (frame, &again) {
        // Unknown setting ids are counted on decode but not re-encoded.
        (Frame::Settings(a), Frame::Settings(b)) => {
            assert_eq!(Settings { unknown: 0, ..*a }, *b);
        }
        _ => assert_eq!(frame, &again),
    }
}

fuzz_target!(|input: &[u8]| {
    let [selector, chunking, rest @ ..] = input else {
        return;
    };
    let max = max_frame_size(*selector);
    let mut dec = FrameDecoder::new();
    dec.set_max_frame_size(max);
    let mut buf = BytesMut::new();
    let mut seed = u32::from(*chunking);
    let mut rest = rest;

    'feed: while !rest.is_empty() {
        // Chunk sizes as a socket might deliver them: 1..=97 bytes, varying.
        let n = if *chunking == 0 { rest.len() } else { 1 + (seed % 97) as usize };
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345) >> 1;
        let (chunk, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        buf.extend_from_slice(chunk);

        loop {
            let before = buf.len();
            match dec.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(buf.len() < before, "a frame consumes its head at least");
                    check_round_trip(max, &frame);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "Ok(None) consumes nothing");
                    break;
                }
                Err(err) => {
                    let _ = err.reason();
                    let _ = err.to_string();
                    if err.stream_id().is_none() {
                        // Connection error: the connection would close.
                        break 'feed;
                    }
                    // A stream error consumed the frame; decoding goes on.
                    assert!(buf.len() < before, "stream error without progress: {err}");
                }
            }
        }
    }
});
