//! Response body decoders, one per framing of RFC 9112 §6.3.

use bytes::BytesMut;

use super::body_item::BodyItem;
use super::chunked::ChunkedDecoder;
use super::config::Config;
use super::error::ResponseError;
use super::framing::BodyKind;

/// Decodes one response body from the front of the read buffer.
#[derive(Debug)]
pub(crate) enum BodyDecoder {
    /// Content-Length: this many bytes remain.
    Length(u64),
    /// The chunked coding.
    Chunked(ChunkedDecoder),
    /// Everything until EOF.
    CloseDelimited,
    /// `End` was reported.
    Done,
}

impl BodyDecoder {
    pub(crate) fn new(kind: BodyKind) -> Self {
        match kind {
            BodyKind::Empty => Self::Length(0),
            BodyKind::Length(n) => Self::Length(n),
            BodyKind::Chunked => Self::Chunked(ChunkedDecoder::new()),
            BodyKind::CloseDelimited => Self::CloseDelimited,
        }
    }

    /// The next item from `buf`, or `Ok(None)` when more bytes are needed.
    /// Bytes after the body's end stay in `buf`.
    ///
    /// # Errors
    /// A [`ResponseError`] from the chunked decoder.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
    ) -> Result<Option<BodyItem>, ResponseError> {
        match self {
            Self::Length(0) => {
                *self = Self::Done;
                Ok(Some(BodyItem::End))
            }
            Self::Length(remaining) => {
                if buf.is_empty() {
                    return Ok(None);
                }
                let n = usize::try_from(*remaining).map_or(buf.len(), |r| r.min(buf.len()));
                *remaining -= n as u64;
                Ok(Some(BodyItem::Data(buf.split_to(n).freeze())))
            }
            Self::Chunked(chunked) => {
                let item = chunked.decode(buf, config)?;
                if matches!(item, Some(BodyItem::End)) {
                    *self = Self::Done;
                }
                Ok(item)
            }
            Self::CloseDelimited if buf.is_empty() => Ok(None),
            Self::CloseDelimited => Ok(Some(BodyItem::Data(buf.split().freeze()))),
            Self::Done => Ok(None),
        }
    }

    /// The connection reached EOF after every buffered byte was decoded.
    /// Only a close-delimited body ends this way (RFC 9112 §6.3 item 8);
    /// any other is incomplete (§8: "A message that uses a valid
    /// Content-Length is incomplete if the size of the message body
    /// received ... is less than the value given by Content-Length. A
    /// response that has neither chunked transfer coding nor Content-Length
    /// is terminated by closure of the connection").
    ///
    /// # Errors
    /// [`ResponseError::Incomplete`] when the body needed more bytes.
    pub(crate) fn decode_eof(&mut self) -> Result<Option<BodyItem>, ResponseError> {
        match self {
            Self::CloseDelimited | Self::Length(0) => {
                *self = Self::Done;
                Ok(Some(BodyItem::End))
            }
            Self::Done => Ok(None),
            Self::Chunked(c) if c.is_finished() => {
                *self = Self::Done;
                Ok(Some(BodyItem::End))
            }
            Self::Length(_) | Self::Chunked(_) => Err(ResponseError::Incomplete),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_body_stops_at_its_length() {
        let config = Config::default();
        let mut dec = BodyDecoder::new(BodyKind::Length(5));
        let mut buf = BytesMut::from(&b"abc"[..]);
        assert!(matches!(dec.decode(&mut buf, &config), Ok(Some(BodyItem::Data(d))) if d == "abc"));
        assert!(matches!(dec.decode(&mut buf, &config), Ok(None)));
        buf.extend_from_slice(b"deNEXT");
        assert!(matches!(dec.decode(&mut buf, &config), Ok(Some(BodyItem::Data(d))) if d == "de"));
        assert!(matches!(dec.decode(&mut buf, &config), Ok(Some(BodyItem::End))));
        assert!(matches!(dec.decode(&mut buf, &config), Ok(None)));
        assert_eq!(&buf[..], b"NEXT");
    }

    #[test]
    fn empty_body_ends_at_once() {
        let mut dec = BodyDecoder::new(BodyKind::Empty);
        let mut buf = BytesMut::from(&b"HTTP/1.1"[..]);
        assert!(matches!(dec.decode(&mut buf, &Config::default()), Ok(Some(BodyItem::End))));
        assert_eq!(buf.len(), 8);
    }

    #[test]
    fn eof_ends_only_close_delimited_bodies() {
        let mut dec = BodyDecoder::new(BodyKind::CloseDelimited);
        let mut buf = BytesMut::from(&b"all of it"[..]);
        assert!(
            matches!(dec.decode(&mut buf, &Config::default()), Ok(Some(BodyItem::Data(d))) if d == "all of it")
        );
        assert!(matches!(dec.decode_eof(), Ok(Some(BodyItem::End))));
        assert!(matches!(dec.decode_eof(), Ok(None)));

        assert!(matches!(BodyDecoder::new(BodyKind::Length(1)).decode_eof(), Err(ResponseError::Incomplete)));
        assert!(matches!(BodyDecoder::new(BodyKind::Chunked).decode_eof(), Err(ResponseError::Incomplete)));
    }
}
