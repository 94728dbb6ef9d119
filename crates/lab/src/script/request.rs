//! Requests as the client sent them, reassembled from HEADERS,
//! CONTINUATION and DATA frames whichever [`ScriptConn`](super::ScriptConn)
//! method read those frames.

use std::io;

use bytes::{Bytes, BytesMut};

use baton_proto::h2::frame::{Frame, StreamId};
use baton_testkit::{BlockError, FieldBlock, FieldBlocks, Peer};

use super::matcher::describe;

/// One request the client sent on a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The stream it was sent on.
    pub stream_id: StreamId,
    /// The decoded header fields, pseudo-headers included, in wire order.
    /// Bytes that are not UTF-8 are replaced (a test tool's leniency).
    pub fields: Vec<(String, String)>,
    /// The body received so far: all of it once `ended`.
    pub body: Bytes,
    /// Trailer fields, if a second field block arrived (RFC 9113 §8.1).
    pub trailers: Vec<(String, String)>,
    /// END_STREAM was received: the request is complete.
    pub ended: bool,
}

impl Request {
    /// The value of the first field called `name` (lowercase, as HTTP/2
    /// sends names).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// `:method`.
    pub fn method(&self) -> Option<&str> {
        self.field(":method")
    }

    /// `:path`.
    pub fn path(&self) -> Option<&str> {
        self.field(":path")
    }

    /// `:authority`.
    pub fn authority(&self) -> Option<&str> {
        self.field(":authority")
    }
}

/// A request being assembled, and which readers have seen it.
#[derive(Debug)]
struct Entry {
    request: Request,
    body: BytesMut,
    head_taken: bool,
    full_taken: bool,
}

impl Entry {
    fn snapshot(&self) -> Request {
        Request { body: Bytes::copy_from_slice(&self.body), ..self.request.clone() }
    }
}

/// Every request on a connection, in the order their heads arrived.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    entries: Vec<Entry>,
    blocks: FieldBlocks,
}

impl Requests {
    /// Feeds one received frame. Field blocks are decoded as soon as they
    /// are complete, so `peer`'s HPACK decoder stays in step with the
    /// client's encoder (RFC 9113 §4.3) whoever reads the frames.
    ///
    /// # Errors
    /// `InvalidData` when the client breaks the field-block rules of RFC
    /// 9113 §4.3 / §6.10 or its block does not decode: a test tool reports
    /// the client's bug rather than answering it with a GOAWAY.
    pub(crate) fn observe(&mut self, frame: &Frame, peer: &mut Peer) -> io::Result<()> {
        let block = self.blocks.observe(frame).map_err(|e| match e {
            BlockError::Interrupted { stream_id, frame } => invalid(format!(
                "client sent {} inside the field block of stream {stream_id} (RFC 9113 §6.10)",
                describe(&frame)
            )),
            stray @ BlockError::StrayContinuation { .. } => invalid(format!("client sent {stray}")),
        })?;
        match (frame, block) {
            (_, Some(block)) => self.finish(block, peer),
            (Frame::Data(d), None) => {
                if let Some(entry) = self.entry_mut(d.stream_id) {
                    entry.body.extend_from_slice(&d.data);
                    entry.request.ended |= d.end_stream;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn finish(&mut self, block: FieldBlock, peer: &mut Peer) -> io::Result<()> {
        let fields = peer.decode_block(&block.fragment).map_err(|e| {
            invalid(format!("client field block on stream {} does not decode: {e}", block.stream_id))
        })?;
        if let Some(entry) = self.entry_mut(block.stream_id) {
            // A second field block on the stream: trailers (RFC 9113 §8.1).
            entry.request.trailers = fields;
            entry.request.ended |= block.end_stream;
        } else {
            self.entries.push(Entry {
                request: Request {
                    stream_id: block.stream_id,
                    fields,
                    body: Bytes::new(),
                    trailers: Vec::new(),
                    ended: block.end_stream,
                },
                body: BytesMut::new(),
                head_taken: false,
                full_taken: false,
            });
        }
        Ok(())
    }

    fn entry_mut(&mut self, id: StreamId) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.request.stream_id == id)
    }

    /// The oldest request whose head no reader has taken yet.
    pub(crate) fn take_head(&mut self) -> Option<Request> {
        let entry = self.entries.iter_mut().find(|e| !e.head_taken)?;
        entry.head_taken = true;
        Some(entry.snapshot())
    }

    /// The oldest complete request not yet taken as complete.
    pub(crate) fn take_complete(&mut self) -> Option<Request> {
        let entry = self.entries.iter_mut().find(|e| e.request.ended && !e.full_taken)?;
        entry.head_taken = true;
        entry.full_taken = true;
        Some(entry.snapshot())
    }

    /// Every request seen so far, complete or not.
    pub(crate) fn all(&self) -> Vec<Request> {
        self.entries.iter().map(Entry::snapshot).collect()
    }
}

pub(crate) fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

#[cfg(test)]
mod tests {
    use super::super::frames;
    use super::*;

    #[test]
    fn assembles_continuation_data_and_trailers() {
        let (mut client, mut server) = (Peer::new(), Peer::new());
        let mut reqs = Requests::default();
        let head = client.encode_block(&[(":method", "POST"), (":path", "/x")]);
        let (a, b) = head.split_at(2);
        for frame in [
            frames::headers_fragment(1, Bytes::copy_from_slice(a), false, false),
            frames::continuation(1, Bytes::copy_from_slice(b), true),
            frames::data(1, b"he", false),
        ] {
            reqs.observe(&frame, &mut server).unwrap();
        }
        assert!(reqs.take_complete().is_none());
        let head = reqs.take_head().unwrap();
        assert_eq!((head.method(), head.path(), &head.body[..]), (Some("POST"), Some("/x"), &b"he"[..]));
        assert!(reqs.take_head().is_none());

        reqs.observe(&frames::data(1, b"llo", false), &mut server).unwrap();
        let trailers = client.headers(1, &[("x-sum", "1")], true);
        reqs.observe(&trailers, &mut server).unwrap();
        let full = reqs.take_complete().unwrap();
        assert_eq!(&full.body[..], b"hello");
        assert_eq!(full.trailers, vec![("x-sum".to_owned(), "1".to_owned())]);
        assert!(full.ended);
    }

    #[test]
    fn interleaving_a_field_block_is_reported() {
        let mut server = Peer::new();
        let mut reqs = Requests::default();
        reqs.observe(&frames::headers_fragment(1, Bytes::new(), true, false), &mut server).unwrap();
        let err = reqs.observe(&frames::ping([0; 8]), &mut server).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let err = Requests::default().observe(&frames::continuation(1, Bytes::new(), true), &mut server);
        assert!(err.is_err());
    }
}
