//! The response decoder on its own: heads, informational responses, body
//! framing, body and trailers, from a byte stream split anywhere.

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};

use super::body::BodyDecoder;
use super::body_item::BodyItem;
use super::config::Config;
use super::error::ResponseError;
use super::framing::{BodyKind, Framing, response_framing};
use super::head_facts::HeadFacts;
use super::keep_alive::response_persists;
use super::response::HeadParser;
use super::response::ResponseHead;
use crate::known_fields::KnownFields;

/// What a head means for the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadKind {
    /// 1xx other than 101: another head follows (RFC 9110 §15.2).
    Informational,
    /// The final head.
    Final {
        framing: Framing,
        /// RFC 9112 §9.3 and §6.3: the connection may carry another
        /// exchange once this one completes.
        persists: bool,
    },
}

/// Classifies a parsed head.
///
/// # Errors
/// [`ResponseError::UpgradeNotSupported`] for 101, and the framing errors
/// of RFC 9112 §6.3.
pub(crate) fn classify_head(
    head: &ResponseHead,
    facts: &HeadFacts,
    head_request: bool,
) -> Result<HeadKind, ResponseError> {
    if head.status == StatusCode::SWITCHING_PROTOCOLS {
        return Err(ResponseError::UpgradeNotSupported);
    }
    if head.status.is_informational() {
        return Ok(HeadKind::Informational);
    }
    let framing = response_framing(head, facts, head_request)?;
    let persists = response_persists(head.version, facts)
        && !framing.suspect
        && framing.kind != BodyKind::CloseDelimited;
    Ok(HeadKind::Final { framing, persists })
}

/// One output of [`ResponseDecoder::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A 1xx head; more heads follow.
    Informational(ResponseHead),
    /// The final head, and how its body is framed.
    Head {
        /// The head.
        head: ResponseHead,
        /// The body framing.
        body: BodyKind,
    },
    /// Body bytes (never empty), sharing the input buffer's memory.
    Data(Bytes),
    /// The trailer section of a chunked body.
    Trailers(HeaderMap),
    /// The response is complete; bytes after it stay in the buffer.
    End,
}

#[derive(Debug)]
enum State {
    Head(HeadParser),
    Body(BodyDecoder),
    Done,
}

/// Decodes one HTTP/1.1 response from a byte stream, incrementally.
///
/// Append received bytes to a `BytesMut` and call [`Self::decode`] until it
/// returns `Ok(None)`; it consumes what it has decoded and leaves the rest.
/// At EOF call [`Self::decode_eof`]. Any error is final: the stream cannot
/// be resynchronised (RFC 9112 §6.3).
///
/// [`Connection`](super::Connection) uses the same pieces and adds the
/// request side, the journal and the keep-alive decision.
#[derive(Debug)]
pub struct ResponseDecoder {
    config: Config,
    head_request: bool,
    state: State,
    persists: bool,
}

impl ResponseDecoder {
    /// A decoder for the response to one request; `head_request` is true
    /// when the request method was HEAD (its response has no body whatever
    /// its fields say, RFC 9112 §6.3 item 1).
    pub fn new(config: Config, head_request: bool) -> Self {
        Self { config, head_request, state: State::Head(HeadParser::default()), persists: false }
    }

    /// The next item from the front of `buf`, or `Ok(None)` when more
    /// bytes are needed (or the response is complete).
    ///
    /// # Errors
    /// A [`ResponseError`]; the decoder is then done.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, ResponseError> {
        let result = self.decode_inner(buf);
        if result.is_err() {
            self.state = State::Done;
        }
        result
    }

    fn decode_inner(&mut self, buf: &mut BytesMut) -> Result<Option<Decoded>, ResponseError> {
        match &mut self.state {
            State::Head(parser) => {
                // One response: nothing to keep for a next one.
                let Some((head, facts)) = parser.parse(buf, &self.config, &mut KnownFields::off())? else {
                    return Ok(None);
                };
                match classify_head(&head, &facts, self.head_request)? {
                    HeadKind::Informational => {
                        self.state = State::Head(HeadParser::default());
                        Ok(Some(Decoded::Informational(head)))
                    }
                    HeadKind::Final { framing, persists } => {
                        self.persists = persists;
                        self.state = State::Body(BodyDecoder::new(framing.kind));
                        Ok(Some(Decoded::Head { head, body: framing.kind }))
                    }
                }
            }
            State::Body(body) => {
                let item = body.decode(buf, &self.config)?;
                Ok(item.map(|item| self.on_body_item(item)))
            }
            State::Done => Ok(None),
        }
    }

    fn on_body_item(&mut self, item: BodyItem) -> Decoded {
        match item {
            BodyItem::Data(data) => Decoded::Data(data),
            BodyItem::Trailers(trailers) => Decoded::Trailers(trailers),
            BodyItem::End => {
                self.state = State::Done;
                Decoded::End
            }
        }
    }

    /// The stream reached EOF after [`Self::decode`] returned `Ok(None)`:
    /// `End` for a close-delimited body, `Ok(None)` when already complete.
    ///
    /// # Errors
    /// [`ResponseError::Incomplete`] when the response needed more bytes.
    pub fn decode_eof(&mut self) -> Result<Option<Decoded>, ResponseError> {
        match &mut self.state {
            State::Head(_) => {
                self.state = State::Done;
                Err(ResponseError::Incomplete)
            }
            State::Body(body) => match body.decode_eof() {
                Ok(item) => Ok(item.map(|item| self.on_body_item(item))),
                Err(e) => {
                    self.state = State::Done;
                    Err(e)
                }
            },
            State::Done => Ok(None),
        }
    }

    /// True once `End` or an error was returned.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// True when the final head allows the connection to carry another
    /// exchange after this response (RFC 9112 §9.3; false for a
    /// close-delimited body or suspect framing, §6.3). False before the
    /// final head.
    pub fn persists(&self) -> bool {
        self.persists
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], head_request: bool) -> (Vec<Decoded>, Result<(), ResponseError>, BytesMut) {
        let mut dec = ResponseDecoder::new(Config::default(), head_request);
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(item)) => out.push(item),
                Ok(None) => return (out, Ok(()), buf),
                Err(e) => return (out, Err(e), buf),
            }
        }
    }

    #[test]
    fn decodes_a_chunked_response_with_trailers() {
        let (items, result, rest) = decode_all(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: 1\r\n\r\nHTTP",
            false,
        );
        result.unwrap();
        assert!(matches!(&items[0], Decoded::Informational(h) if h.status == StatusCode::CONTINUE));
        assert!(matches!(&items[1], Decoded::Head { body: BodyKind::Chunked, .. }));
        assert_eq!(items[2], Decoded::Data(Bytes::from_static(b"abc")));
        assert!(matches!(&items[3], Decoded::Trailers(t) if t["t"] == "1"));
        assert_eq!(items[4], Decoded::End);
        assert_eq!(items.len(), 5);
        assert_eq!(&rest[..], b"HTTP", "bytes after the response are left alone");
    }

    #[test]
    fn persistence_follows_the_head() {
        let mut dec = ResponseDecoder::new(Config::default(), false);
        assert!(!dec.persists());
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"[..]);
        assert!(matches!(dec.decode(&mut buf), Ok(Some(Decoded::Head { .. }))));
        assert!(dec.persists());
        assert_eq!(dec.decode(&mut buf), Ok(Some(Decoded::End)));
        assert!(dec.is_done());

        let (_, result, _) = decode_all(b"HTTP/1.1 200 OK\r\n\r\nbody", false);
        result.unwrap();
        let mut dec = ResponseDecoder::new(Config::default(), false);
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\n\r\nbody"[..]);
        while let Ok(Some(_)) = dec.decode(&mut buf) {}
        assert!(!dec.persists(), "close-delimited");
        assert_eq!(dec.decode_eof(), Ok(Some(Decoded::End)));
        assert_eq!(dec.decode_eof(), Ok(None));
    }

    #[test]
    fn errors_are_final() {
        let mut dec = ResponseDecoder::new(Config::default(), false);
        let mut buf = BytesMut::from(&b"HTTP/1.1 101 Switching Protocols\r\n\r\n"[..]);
        assert_eq!(dec.decode(&mut buf), Err(ResponseError::UpgradeNotSupported));
        assert!(dec.is_done());
        assert_eq!(dec.decode(&mut buf), Ok(None));

        let mut dec = ResponseDecoder::new(Config::default(), false);
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\n"[..]);
        assert_eq!(dec.decode(&mut buf), Ok(None));
        assert_eq!(dec.decode_eof(), Err(ResponseError::Incomplete));
    }

    #[test]
    fn head_request_has_no_body() {
        let (items, result, rest) = decode_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true);
        result.unwrap();
        assert!(matches!(&items[0], Decoded::Head { body: BodyKind::Empty, .. }));
        assert_eq!(items[1], Decoded::End);
        assert!(rest.is_empty());
    }
}
