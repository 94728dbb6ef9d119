//! A scripted HTTP/2 server, sans-IO: it decodes what the client wrote
//! (preface, frames, field blocks) and encodes what the test tells it to
//! send, with the server's HPACK contexts. The [`Pair`](crate::Pair) harness
//! drives one against a client [`Connection`](baton_proto::h2::Connection);
//! the lab's script server drives one over TCP; the `sequence` fuzz target
//! checks the client's output through one.
//!
//! It has no protocol logic of its own: no acknowledgements, no flow
//! control, no stream states. Settings that change how it decodes (the
//! client's acknowledgement of our SETTINGS_MAX_FRAME_SIZE or
//! SETTINGS_HEADER_TABLE_SIZE, RFC 9113 §6.5.3) are applied by its driver
//! through the public codec fields.

use bytes::{Buf, Bytes, BytesMut};

use baton_proto::h2::PREFACE;
use baton_proto::h2::frame::{Frame, FrameDecoder, FrameError, Headers, StreamId};
use baton_proto::h2::hpack::{self, DecodeError, Header, HeaderRef};

/// The server end of a test connection: a frame decoder, both HPACK
/// contexts and the bytes received but not yet decoded.
///
/// ```
/// use baton_proto::h2::frame::Frame;
/// use baton_testkit::Peer;
///
/// let mut server = Peer::new();
/// let head = server.response(1, "200", true);
/// let Frame::Headers(h) = &head else { unreachable!() };
/// // Another peer decodes it with its own context, as the client would.
/// let fields = Peer::new().decode_block(&h.fragment).unwrap();
/// assert_eq!(fields, [(":status".to_owned(), "200".to_owned())]);
/// ```
#[derive(Debug)]
pub struct Peer {
    /// Decodes the client's frames. Its maximum frame size is the server's
    /// SETTINGS_MAX_FRAME_SIZE; the driver raises it when the server
    /// advertises more.
    pub decoder: FrameDecoder,
    /// Decodes the client's field blocks (the server's HPACK decoder).
    pub hpack_decoder: hpack::Decoder,
    /// Encodes the server's field blocks.
    pub hpack_encoder: hpack::Encoder,
    inbox: BytesMut,
    preface_seen: bool,
}

impl Default for Peer {
    fn default() -> Self {
        Self::new()
    }
}

impl Peer {
    /// A peer before any byte arrived, with the protocol's default frame
    /// size and table sizes.
    pub fn new() -> Self {
        Self {
            decoder: FrameDecoder::new(),
            hpack_decoder: hpack::Decoder::default(),
            hpack_encoder: hpack::Encoder::new(),
            inbox: BytesMut::new(),
            preface_seen: false,
        }
    }

    // ----- receiving -------------------------------------------------------

    /// Takes client bytes and returns every complete frame in them, after
    /// the 24-byte client preface (RFC 9113 §3.4).
    ///
    /// # Panics
    /// When the client's first bytes are not the preface or it wrote an
    /// invalid frame: this is test support, and either is the client's bug.
    pub fn receive(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.inbox.extend_from_slice(bytes);
        match self.take_preface() {
            Ok(true) => {}
            Ok(false) => return Vec::new(),
            Err(seen) => panic!("expected the client preface, got {seen:?}"),
        }
        let mut frames = Vec::new();
        while let Some(frame) = self.next_frame().expect("client sent a valid frame") {
            frames.push(frame);
        }
        frames
    }

    /// The buffer of bytes received and not yet decoded, for a driver that
    /// reads into it (and then calls [`Self::take_preface`] and
    /// [`Self::next_frame`]).
    pub fn inbox(&mut self) -> &mut BytesMut {
        &mut self.inbox
    }

    /// Consumes the client preface (RFC 9113 §3.4) from the inbox: `Ok(true)`
    /// once it has been (now or before), `Ok(false)` while fewer than 24
    /// bytes have come.
    ///
    /// # Errors
    /// The first 24 bytes, when they are not the preface.
    pub fn take_preface(&mut self) -> Result<bool, Bytes> {
        if self.preface_seen {
            return Ok(true);
        }
        if self.inbox.len() < PREFACE.len() {
            return Ok(false);
        }
        if &self.inbox[..PREFACE.len()] != PREFACE {
            return Err(Bytes::copy_from_slice(&self.inbox[..PREFACE.len()]));
        }
        self.inbox.advance(PREFACE.len());
        self.preface_seen = true;
        Ok(true)
    }

    /// Decodes the next whole frame in the inbox, if there is one. Call it
    /// after the preface has been taken.
    ///
    /// # Errors
    /// The frame decoder's, for bytes that are not a valid frame.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        self.decoder.decode(&mut self.inbox)
    }

    /// Decodes a request or trailer field block the client sent, in the
    /// order the client encoded its blocks (the HPACK context is shared).
    /// Bytes that are not UTF-8 are replaced (a test tool's leniency: such a
    /// field never equals the text a test expects).
    ///
    /// # Errors
    /// The HPACK decoder's, for a block that does not decode.
    pub fn decode_block(&mut self, block: &Bytes) -> Result<Vec<(String, String)>, DecodeError> {
        let mut fields = Vec::new();
        self.hpack_decoder.decode(block, |h: Header| {
            fields.push((
                String::from_utf8_lossy(&h.name).into_owned(),
                String::from_utf8_lossy(&h.value).into_owned(),
            ));
        })?;
        Ok(fields)
    }

    // ----- sending ---------------------------------------------------------

    /// HPACK-encodes `fields` with the server's encoder (RFC 7541). The
    /// dynamic table changes at once: send blocks in the order they were
    /// built, or the client's decoder will (rightly) fail.
    pub fn encode_block(&mut self, fields: &[(&str, &str)]) -> Bytes {
        let mut dst = BytesMut::new();
        self.hpack_encoder.encode(
            fields.iter().map(|(name, value)| HeaderRef {
                name: name.as_bytes(),
                value: value.as_bytes(),
                sensitive: false,
            }),
            &mut dst,
        );
        dst.freeze()
    }

    /// A HEADERS frame with END_HEADERS carrying `fields`, whatever its
    /// size. Pseudo-headers such as `:status` are fields like any other:
    /// their order and presence are the caller's.
    pub fn headers(&mut self, stream: u32, fields: &[(&str, &str)], end_stream: bool) -> Frame {
        let fragment = self.encode_block(fields);
        Frame::Headers(Headers {
            stream_id: StreamId::new(stream),
            end_stream,
            end_headers: true,
            priority: None,
            pad_len: None,
            fragment,
        })
    }

    /// A response head with only `:status`.
    pub fn response(&mut self, stream: u32, status: &str, end_stream: bool) -> Frame {
        self.headers(stream, &[(":status", status)], end_stream)
    }
}

#[cfg(test)]
mod tests {
    use baton_proto::h2::frame::{Ping, Settings};

    use super::*;

    #[test]
    fn receive_takes_the_preface_then_frames_in_pieces() {
        let mut wire = BytesMut::from(PREFACE);
        Frame::Settings(Settings::default()).encode(&mut wire);
        Frame::Ping(Ping { ack: false, payload: [1; 8] }).encode(&mut wire);
        let mut peer = Peer::new();
        assert!(peer.receive(&wire[..10]).is_empty());
        assert!(peer.receive(&wire[10..30]).is_empty());
        let frames = peer.receive(&wire[30..]);
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert_eq!(frames[1], Frame::Ping(Ping { ack: false, payload: [1; 8] }));
    }

    #[test]
    fn a_wrong_preface_is_reported() {
        let mut peer = Peer::new();
        peer.inbox().extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(peer.take_preface(), Err(Bytes::from_static(b"GET / HTTP/1.1\r\nHost: x\r")));
    }

    #[test]
    fn blocks_round_trip_between_two_peers() {
        let (mut a, mut b) = (Peer::new(), Peer::new());
        for _ in 0..2 {
            let block = a.encode_block(&[(":status", "204"), ("x-k", "v")]);
            let fields = b.decode_block(&block).unwrap();
            assert_eq!(
                fields,
                [(":status".to_owned(), "204".to_owned()), ("x-k".to_owned(), "v".to_owned())]
            );
        }
        assert!(b.decode_block(&Bytes::from_static(b"\xff")).is_err());
    }
}
