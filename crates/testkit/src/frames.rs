//! Frame builders, in the manner of h2-support's `frames` module: one short
//! call per frame a test wants a server to send.
//!
//! Stream ids are plain `u32` here so tests read like the RFC's examples
//! (`frames::rst(1, Reason::CANCEL)`); they become [`StreamId`]s (reserved
//! bit dropped) in the returned [`Frame`]. Only [`raw`] and [`raw_head`] keep
//! every bit, for frames that must be malformed.
//!
//! HEADERS frames with fields need an HPACK encoder, so they are built by
//! [`Peer::headers`](crate::Peer::headers); [`headers_fragment`] and
//! [`continuation`] take an already encoded field block.
//!
//! ```
//! use baton_proto::h2::frame::{Frame, Reason};
//! use baton_testkit::frames;
//!
//! let Frame::GoAway(g) = frames::go_away(3, Reason::NO_ERROR) else { unreachable!() };
//! assert_eq!(g.last_stream_id.value(), 3);
//! // A PING of 7 bytes: the wire bytes, since no `Frame` can be malformed.
//! assert_eq!(frames::raw(0x6, 0, 0, &[0; 7]).len(), 9 + 7);
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use baton_proto::h2::frame::{
    Continuation, Data, Frame, FrameType, GoAway, HEAD_LEN, Headers, Ping, Reason, RstStream, Settings,
    StreamId, Unknown, WindowUpdate,
};

/// Flag bits (RFC 9113 §6), for [`raw`] and [`unknown`]. Each frame type
/// gives the bits its own meaning, so some share a value.
pub use baton_proto::h2::frame::flags;

/// The largest value of the 24-bit Length field (RFC 9113 §4.1).
const MAX_LENGTH: usize = (1 << 24) - 1;

/// A DATA frame without padding (RFC 9113 §6.1).
pub fn data(stream: u32, payload: &[u8], end_stream: bool) -> Frame {
    Frame::Data(Data::new(StreamId::new(stream), Bytes::copy_from_slice(payload), end_stream))
}

/// A DATA frame with a Pad Length field of `pad_len` (RFC 9113 §6.1): the
/// frame carries `pad_len` zero bytes of padding after `payload`, and all of
/// it, padding included, counts against flow control.
pub fn padded_data(stream: u32, payload: &[u8], end_stream: bool, pad_len: u8) -> Frame {
    Frame::Data(Data {
        stream_id: StreamId::new(stream),
        data: Bytes::copy_from_slice(payload),
        end_stream,
        pad_len: Some(pad_len),
    })
}

/// A HEADERS frame carrying an already encoded field-block fragment
/// (RFC 9113 §6.2). With `end_headers` false, CONTINUATION frames must follow
/// (§6.10), which lets a test interleave something else where it must not.
pub fn headers_fragment(stream: u32, fragment: Bytes, end_stream: bool, end_headers: bool) -> Frame {
    Frame::Headers(Headers {
        stream_id: StreamId::new(stream),
        end_stream,
        end_headers,
        priority: None,
        pad_len: None,
        fragment,
    })
}

/// A CONTINUATION frame (RFC 9113 §6.10).
pub fn continuation(stream: u32, fragment: Bytes, end_headers: bool) -> Frame {
    Frame::Continuation(Continuation { stream_id: StreamId::new(stream), end_headers, fragment })
}

/// A RST_STREAM frame (RFC 9113 §6.4).
pub fn rst(stream: u32, reason: Reason) -> Frame {
    Frame::RstStream(RstStream { stream_id: StreamId::new(stream), reason })
}

/// A GOAWAY frame without debug data (RFC 9113 §6.8). `last` is the highest
/// stream the server says it may have processed; 0 means none.
pub fn go_away(last: u32, reason: Reason) -> Frame {
    go_away_debug(last, reason, b"")
}

/// A GOAWAY frame with Additional Debug Data (RFC 9113 §6.8).
pub fn go_away_debug(last: u32, reason: Reason, debug: &[u8]) -> Frame {
    Frame::GoAway(GoAway {
        last_stream_id: StreamId::new(last),
        error_code: reason,
        debug_data: Bytes::copy_from_slice(debug),
    })
}

/// An empty SETTINGS frame (RFC 9113 §6.5): every parameter keeps its value.
/// For parameters, send `Frame::Settings(Settings { .. })` directly.
pub fn settings() -> Frame {
    Frame::Settings(Settings::default())
}

/// A SETTINGS frame with the ACK flag (RFC 9113 §6.5).
pub fn settings_ack() -> Frame {
    Frame::Settings(Settings::ack())
}

/// A PING frame (RFC 9113 §6.7); the client must answer with an ACK.
pub fn ping(payload: [u8; 8]) -> Frame {
    Frame::Ping(Ping { ack: false, payload })
}

/// A PING frame with the ACK flag (RFC 9113 §6.7).
pub fn ping_ack(payload: [u8; 8]) -> Frame {
    Frame::Ping(Ping { ack: true, payload })
}

/// A WINDOW_UPDATE frame (RFC 9113 §6.9); stream 0 is the connection window.
/// The increment is sent as given, 0 included (a PROTOCOL_ERROR for the
/// receiver).
pub fn window_update(stream: u32, increment: u32) -> Frame {
    Frame::WindowUpdate(WindowUpdate { stream_id: StreamId::new(stream), increment })
}

/// A frame of any type with an opaque payload (RFC 9113 §4.1, §5.5: unknown
/// types must be ignored by the receiver). The length always matches the
/// payload; use [`raw`] when it must not make sense.
pub fn unknown(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Frame {
    Frame::Unknown(Unknown {
        kind: FrameType(kind),
        flags,
        stream_id: StreamId::new(stream),
        payload: Bytes::copy_from_slice(payload),
    })
}

/// The wire bytes of a frame built from raw parts: a 9-byte header (RFC 9113
/// §4.1) whose Length is `payload.len()`, then `payload`. Nothing is checked,
/// and `stream` is written with all 32 bits (the reserved bit included), so
/// this is how a test sends a PING of 7 bytes, a SETTINGS frame on stream 1,
/// or any other malformed frame.
///
/// # Panics
/// If `payload` is longer than the 24-bit Length field can say (16 MiB);
/// use [`raw_head`] to declare a length without sending it.
pub fn raw(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Bytes {
    assert!(payload.len() <= MAX_LENGTH, "frame payload over 2^24-1 bytes");
    let mut out = BytesMut::with_capacity(HEAD_LEN + payload.len());
    put_raw_head(&mut out, payload.len() as u32, kind, flags, stream);
    out.put_slice(payload);
    out.freeze()
}

/// Just a frame header declaring `length` payload bytes (RFC 9113 §4.1), for
/// frames whose declared length is not what follows: a header announcing
/// more than SETTINGS_MAX_FRAME_SIZE, or a frame cut short before EOF.
/// Only the low 24 bits of `length` are written.
pub fn raw_head(length: u32, kind: u8, flags: u8, stream: u32) -> Bytes {
    let mut out = BytesMut::with_capacity(HEAD_LEN);
    put_raw_head(&mut out, length, kind, flags, stream);
    out.freeze()
}

/// The wire bytes of `frame` encoded `count` times back to back, for
/// floods (RFC 9113 §10.5: PING, SETTINGS, RST_STREAM, empty DATA,
/// CONTINUATION), to be sent in one write. The sending peer's own state
/// (HPACK, settings) does not see them, so use it for frames that need none.
pub fn repeated(frame: &Frame, count: usize) -> Bytes {
    let mut one = BytesMut::new();
    frame.encode(&mut one);
    let mut out = BytesMut::with_capacity(one.len() * count);
    for _ in 0..count {
        out.put_slice(&one);
    }
    out.freeze()
}

/// An HPACK bomb (RFC 7541 §6.2.1, §6.1): a field block that inserts one
/// field of `value_len` bytes into the dynamic table ("literal with
/// incremental indexing", new name `name`), then refers to it `refs` times
/// with one-byte indexed representations (index 62, the newest dynamic
/// entry). A block of about `value_len + refs` bytes decodes to about
/// `refs * (name.len() + value_len + 32)` bytes of header list (§4.1 sizes).
///
/// The block changes the receiver's dynamic table behind the sending peer's
/// encoder: after it, send only blocks that use the static table (e.g. the
/// single byte `0x88`, `:status: 200`) on that connection.
///
/// # Panics
/// If `name` is 127 bytes or longer (its length must fit the 7-bit prefix).
pub fn hpack_bomb(name: &str, value_len: usize, refs: usize) -> Bytes {
    assert!(name.len() < 127, "name too long for a one-byte length");
    let mut out = BytesMut::with_capacity(name.len() + value_len + refs + 8);
    out.put_u8(0x40); // literal with incremental indexing, new name
    out.put_u8(name.len() as u8); // H = 0
    out.put_slice(name.as_bytes());
    put_hpack_int(&mut out, 0, 7, value_len);
    out.put_bytes(b'a', value_len);
    // Indexed field (§6.1): 1xxxxxxx, index 62 = the entry just inserted.
    out.put_bytes(0x80 | 62, refs);
    out.freeze()
}

/// An HPACK integer (RFC 7541 §5.1) with an `n`-bit prefix after `first`'s
/// high bits.
fn put_hpack_int(dst: &mut BytesMut, first: u8, n: u32, mut value: usize) {
    let max = (1usize << n) - 1;
    if value < max {
        dst.put_u8(first | value as u8);
        return;
    }
    dst.put_u8(first | max as u8);
    value -= max;
    while value >= 128 {
        dst.put_u8((value % 128) as u8 | 0x80);
        value /= 128;
    }
    dst.put_u8(value as u8);
}

fn put_raw_head(dst: &mut BytesMut, length: u32, kind: u8, flags: u8, stream: u32) {
    let [_, l0, l1, l2] = length.to_be_bytes();
    dst.put_slice(&[l0, l1, l2, kind, flags]);
    dst.put_u32(stream);
}

#[cfg(test)]
mod tests {
    use baton_proto::h2::frame::{FrameDecoder, FrameError};

    use super::*;

    fn decode(bytes: &[u8]) -> Result<Option<Frame>, FrameError> {
        FrameDecoder::new().decode(&mut BytesMut::from(bytes))
    }

    #[test]
    fn raw_matches_the_codec_for_a_valid_frame() {
        let mut encoded = BytesMut::new();
        ping([1, 2, 3, 4, 5, 6, 7, 8]).encode(&mut encoded);
        let raw = raw(0x6, 0, 0, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(raw, encoded.freeze());
        assert_eq!(decode(&raw), Ok(Some(ping([1, 2, 3, 4, 5, 6, 7, 8]))));
    }

    #[test]
    fn raw_can_be_malformed() {
        // RFC 9113 §6.7: a PING whose length is not 8 is a FRAME_SIZE_ERROR.
        let err = decode(&raw(0x6, 0, 0, &[0; 7])).unwrap_err();
        assert_eq!(err.reason(), Reason::FRAME_SIZE_ERROR);
        // The reserved bit is written as given.
        assert_eq!(raw(0x0, 0, 0x8000_0001, b"")[5..], [0x80, 0, 0, 1]);
    }

    #[test]
    fn raw_head_declares_any_length() {
        assert_eq!(
            raw_head(0x0100_0000 | 0x12_3456, 0x1, flags::END_HEADERS, 3)[..],
            [0x12, 0x34, 0x56, 0x1, 0x4, 0, 0, 0, 3]
        );
    }

    #[test]
    fn repeated_and_bomb_decode() {
        let bytes = repeated(&ping([3; 8]), 3);
        let mut buf = BytesMut::from(&bytes[..]);
        let mut decoder = FrameDecoder::new();
        for _ in 0..3 {
            assert_eq!(decoder.decode(&mut buf), Ok(Some(ping([3; 8]))));
        }
        assert!(buf.is_empty());
        let block = hpack_bomb("x", 300, 5);
        let mut hpack = baton_proto::h2::hpack::Decoder::default();
        let mut seen = Vec::new();
        hpack.decode(&block, |f| seen.push((f.name.len(), f.value.len()))).unwrap();
        assert_eq!(seen, vec![(1, 300); 6]);
    }

    #[test]
    fn builders_round_trip() {
        for frame in [
            data(1, b"abc", true),
            padded_data(1, b"abc", false, 4),
            rst(3, Reason::REFUSED_STREAM),
            go_away_debug(5, Reason::ENHANCE_YOUR_CALM, b"calm"),
            settings(),
            settings_ack(),
            ping_ack([9; 8]),
            window_update(0, 1),
            unknown(0xfa, 0xff, 7, b"x"),
            headers_fragment(1, Bytes::from_static(b"\x88"), false, false),
            continuation(1, Bytes::from_static(b"\x88"), true),
        ] {
            let mut buf = BytesMut::new();
            frame.encode(&mut buf);
            assert_eq!(decode(&buf), Ok(Some(frame)));
        }
    }
}
