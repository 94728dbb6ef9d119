//! A scripted HTTP/2 server: it decodes what the client wrote and encodes
//! what the test tells it to send, with builders in the manner of
//! h2-support's `frames` module.

use bytes::{Bytes, BytesMut};

use crate::h2::PREFACE;
use crate::h2::frame::{
    Data, Frame, FrameDecoder, GoAway, Headers, Ping, Reason, RstStream, StreamId, WindowUpdate,
};
use crate::h2::hpack::{self, Header, HeaderRef};

/// The server side of a test connection.
pub(crate) struct Peer {
    pub(crate) decoder: FrameDecoder,
    pub(crate) hpack_decoder: hpack::Decoder,
    pub(crate) hpack_encoder: hpack::Encoder,
    inbox: BytesMut,
    preface_seen: bool,
}

impl Peer {
    pub(crate) fn new() -> Self {
        Self {
            decoder: FrameDecoder::new(),
            hpack_decoder: hpack::Decoder::new(4_096),
            hpack_encoder: hpack::Encoder::new(),
            inbox: BytesMut::new(),
            preface_seen: false,
        }
    }

    /// Takes client bytes and returns every complete frame in them.
    pub(crate) fn receive(&mut self, bytes: &[u8]) -> Vec<Frame> {
        self.inbox.extend_from_slice(bytes);
        if !self.preface_seen {
            if self.inbox.len() < PREFACE.len() {
                return Vec::new();
            }
            assert_eq!(&self.inbox[..PREFACE.len()], PREFACE, "client preface");
            let _ = self.inbox.split_to(PREFACE.len());
            self.preface_seen = true;
        }
        let mut frames = Vec::new();
        while let Some(frame) = self.decoder.decode(&mut self.inbox).expect("client sent a valid frame") {
            frames.push(frame);
        }
        frames
    }

    /// Decodes a request or trailer field block the client sent.
    pub(crate) fn decode_block(&mut self, block: &Bytes) -> Vec<(String, String)> {
        let mut out = Vec::new();
        self.hpack_decoder
            .decode(block, |h: Header| {
                out.push((
                    String::from_utf8(h.name.to_vec()).unwrap(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                ))
            })
            .expect("client field block decodes");
        out
    }

    /// Encodes `fields` with the peer's HPACK context.
    pub(crate) fn block(&mut self, fields: &[(&str, &str)]) -> Bytes {
        let mut dst = BytesMut::new();
        self.hpack_encoder.encode(
            fields.iter().map(|(n, v)| HeaderRef {
                name: n.as_bytes(),
                value: v.as_bytes(),
                sensitive: false,
            }),
            &mut dst,
        );
        dst.freeze()
    }

    /// A HEADERS frame with the given fields.
    pub(crate) fn headers(&mut self, id: u32, fields: &[(&str, &str)], end_stream: bool) -> Frame {
        let fragment = self.block(fields);
        Frame::Headers(Headers {
            stream_id: StreamId::new(id),
            end_stream,
            end_headers: true,
            priority: None,
            pad_len: None,
            fragment,
        })
    }

    /// A `:status` response head.
    pub(crate) fn response(&mut self, id: u32, status: &str, end_stream: bool) -> Frame {
        self.headers(id, &[(":status", status)], end_stream)
    }
}

pub(crate) fn data(id: u32, payload: &[u8], end_stream: bool) -> Frame {
    Frame::Data(Data::new(StreamId::new(id), Bytes::copy_from_slice(payload), end_stream))
}

pub(crate) fn go_away(last: u32, code: Reason) -> Frame {
    go_away_debug(last, code, "")
}

pub(crate) fn go_away_debug(last: u32, code: Reason, debug: &str) -> Frame {
    Frame::GoAway(GoAway {
        last_stream_id: StreamId::new(last),
        error_code: code,
        debug_data: Bytes::copy_from_slice(debug.as_bytes()),
    })
}

pub(crate) fn rst(id: u32, reason: Reason) -> Frame {
    Frame::RstStream(RstStream { stream_id: StreamId::new(id), reason })
}

pub(crate) fn ping(payload: [u8; 8]) -> Frame {
    Frame::Ping(Ping { ack: false, payload })
}

pub(crate) fn window_update(id: u32, increment: u32) -> Frame {
    Frame::WindowUpdate(WindowUpdate { stream_id: StreamId::new(id), increment })
}
