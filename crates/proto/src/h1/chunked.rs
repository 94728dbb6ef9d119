//! The chunked transfer coding (RFC 9112 §7.1), decoded byte by byte so
//! that decoding can stop and resume at any byte boundary.
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! trailer-section = *( field-line CRLF )
//! ```

use bytes::{Buf, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue};

use super::body_item::BodyItem;
use super::config::Config;
use super::error::ResponseError;
use super::response::{httparse_reason, share};

/// Where the decoder is in the chunked grammar. Each framing state
/// consumes exactly one byte per step, so any split of the input leaves the
/// decoder in a state it can resume from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkedState {
    /// Before the first hex digit of a chunk size.
    SizeStart,
    /// Inside the hex digits.
    Size,
    /// Whitespace after the size (BWS before `;`).
    SizeLws,
    /// Inside chunk extensions, which are ignored (RFC 9112 §7.1.1: "A
    /// recipient MUST ignore unrecognized chunk extensions").
    Extension,
    /// After the CR of the size line.
    SizeLf,
    /// Inside chunk data; `size` bytes remain.
    Data,
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// Inside the trailer section, after the last chunk.
    Trailers,
    /// Trailers were reported; `End` is next.
    EndPending,
    /// `End` was reported.
    Finished,
}

impl ChunkedState {
    /// The states that consume framing bytes one at a time.
    fn is_framing(self) -> bool {
        matches!(self, Self::SizeStart | Self::Size | Self::SizeLws | Self::Extension | Self::SizeLf)
            || matches!(self, Self::DataCr | Self::DataLf)
    }
}

/// Where a trailer line is, to find the empty line ending the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrailerLine {
    Start,
    StartCr,
    Middle,
}

/// A resumable decoder for one chunked body.
#[derive(Debug)]
pub(crate) struct ChunkedDecoder {
    state: ChunkedState,
    /// The chunk size being read, then the data bytes left in the chunk.
    size: u64,
    /// Bytes of the current chunk-size line so far.
    line_len: usize,
    trailer_line: TrailerLine,
    trailers: BytesMut,
}

impl ChunkedDecoder {
    pub(crate) fn new() -> Self {
        Self {
            state: ChunkedState::SizeStart,
            size: 0,
            line_len: 0,
            trailer_line: TrailerLine::Start,
            trailers: BytesMut::new(),
        }
    }

    /// Decodes what `buf` holds: one data slice (shared with `buf`, not
    /// copied), the trailers, or the end. `Ok(None)` when more bytes are
    /// needed; the framing bytes seen so far are consumed.
    ///
    /// # Errors
    /// A [`ResponseError`] for malformed framing or an exceeded limit.
    pub(crate) fn decode(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
    ) -> Result<Option<BodyItem>, ResponseError> {
        loop {
            match self.state {
                ChunkedState::Data => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let n = usize::try_from(self.size).map_or(buf.len(), |size| size.min(buf.len()));
                    self.size -= n as u64;
                    if self.size == 0 {
                        self.state = ChunkedState::DataCr;
                    }
                    return Ok(Some(BodyItem::Data(buf.split_to(n).freeze())));
                }
                ChunkedState::Trailers => return self.read_trailers(buf, config),
                ChunkedState::EndPending => {
                    self.state = ChunkedState::Finished;
                    return Ok(Some(BodyItem::End));
                }
                ChunkedState::Finished => return Ok(None),
                _ => {
                    let mut used = 0;
                    for &b in buf.iter() {
                        used += 1;
                        self.step(b, config)?;
                        if !self.state.is_framing() {
                            break;
                        }
                    }
                    buf.advance(used);
                    if self.state.is_framing() {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// True once the last chunk and trailer section were read.
    pub(crate) fn is_finished(&self) -> bool {
        matches!(self.state, ChunkedState::EndPending | ChunkedState::Finished)
    }

    /// One framing byte.
    fn step(&mut self, b: u8, config: &Config) -> Result<(), ResponseError> {
        use ChunkedState::*;
        if matches!(self.state, SizeStart | Size | SizeLws | Extension | SizeLf) {
            self.line_len += 1;
            if self.line_len > config.max_chunk_line {
                return Err(ResponseError::ChunkLineTooLong { limit: config.max_chunk_line });
            }
        }
        self.state = match (self.state, b) {
            (SizeStart, _) => {
                self.size = hex_value(b).ok_or(ResponseError::InvalidChunk("expected a hex chunk size"))?;
                Size
            }
            (Size, b' ' | b'\t') => SizeLws,
            (Size | SizeLws, b';') => Extension,
            (Size | SizeLws, b'\r') => SizeLf,
            (Size, _) => {
                let digit = hex_value(b).ok_or(ResponseError::InvalidChunk("invalid byte in chunk size"))?;
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or(ResponseError::ChunkSizeOverflow)?;
                Size
            }
            (SizeLws, b' ' | b'\t') => SizeLws,
            (SizeLws, _) => return Err(ResponseError::InvalidChunk("invalid byte after chunk size")),
            (Extension, b'\r') => SizeLf,
            // A bare LF inside an extension would end the line for some
            // parsers and not for others: refuse the ambiguity (RFC 9112
            // §11.2, request smuggling; the same holds for responses).
            (Extension, b'\n') => return Err(ResponseError::InvalidChunk("bare LF in chunk extension")),
            (Extension, _) => Extension,
            // RFC 9112 §7.1: the chunk-size line ends with CRLF. A bare LF
            // is not accepted here (unlike in the head, §2.2), for the same
            // reason as above.
            (SizeLf, b'\n') if self.size == 0 => Trailers,
            (SizeLf, b'\n') => Data,
            (SizeLf, _) => return Err(ResponseError::InvalidChunk("expected LF after chunk size")),
            (DataCr, b'\r') => DataLf,
            (DataCr, _) => return Err(ResponseError::InvalidChunk("chunk data longer than its size")),
            (DataLf, b'\n') => {
                self.line_len = 0;
                SizeStart
            }
            (DataLf, _) => return Err(ResponseError::InvalidChunk("expected LF after chunk data")),
            (Data | Trailers | EndPending | Finished, _) => self.state,
        };
        Ok(())
    }

    /// Collects the trailer section up to its empty line (RFC 9112 §7.1.2),
    /// then parses it.
    fn read_trailers(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
    ) -> Result<Option<BodyItem>, ResponseError> {
        let mut used = 0;
        let mut ended = false;
        for &b in buf.iter() {
            used += 1;
            self.trailer_line = match (self.trailer_line, b) {
                (TrailerLine::Start | TrailerLine::StartCr, b'\n') => {
                    ended = true;
                    break;
                }
                (TrailerLine::Start, b'\r') => TrailerLine::StartCr,
                (_, b'\n') => TrailerLine::Start,
                _ => TrailerLine::Middle,
            };
        }
        if self.trailers.len() + used > config.max_trailer_size {
            return Err(ResponseError::TrailersTooLarge { limit: config.max_trailer_size });
        }
        self.trailers.extend_from_slice(buf.get(..used).unwrap_or_default());
        buf.advance(used);
        if !ended {
            return Ok(None);
        }
        let section = std::mem::take(&mut self.trailers).freeze();
        if matches!(&section[..], b"\n" | b"\r\n") {
            self.state = ChunkedState::Finished;
            return Ok(Some(BodyItem::End));
        }
        let mut slots = vec![httparse::EMPTY_HEADER; config.max_headers];
        let fields = match httparse::parse_headers(&section, &mut slots) {
            Ok(httparse::Status::Complete((n, fields))) if n == section.len() => fields,
            Ok(_) => return Err(ResponseError::InvalidTrailers("section does not end where expected")),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ResponseError::TooManyHeaders { limit: config.max_headers });
            }
            Err(e) => return Err(ResponseError::InvalidTrailers(httparse_reason(e))),
        };
        let mut trailers = HeaderMap::with_capacity(fields.len());
        for field in fields {
            let name =
                HeaderName::from_bytes(field.name.as_bytes()).map_err(|_| ResponseError::InvalidHeader)?;
            let value = HeaderValue::from_maybe_shared(share(&section, field.value))
                .map_err(|_| ResponseError::InvalidHeader)?;
            trailers.append(name, value);
        }
        self.state = ChunkedState::EndPending;
        Ok(Some(BodyItem::Trailers(trailers)))
    }
}

fn hex_value(b: u8) -> Option<u64> {
    char::from(b).to_digit(16).map(u64::from)
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    /// The body, the trailers, whether it ended, and the bytes left over.
    type Decoded = (Vec<u8>, Option<HeaderMap>, bool, Vec<u8>);

    /// Decodes `input` delivered in pieces of `step` bytes.
    fn decode_in_steps(input: &[u8], step: usize) -> Result<Decoded, ResponseError> {
        let config = Config::default();
        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::new();
        let (mut body, mut trailers, mut ended) = (Vec::new(), None, false);
        for piece in input.chunks(step.max(1)) {
            buf.extend_from_slice(piece);
            while let Some(item) = dec.decode(&mut buf, &config)? {
                match item {
                    BodyItem::Data(d) => {
                        assert!(!d.is_empty());
                        body.extend_from_slice(&d);
                    }
                    BodyItem::Trailers(t) => trailers = Some(t),
                    BodyItem::End => ended = true,
                }
            }
        }
        Ok((body, trailers, ended, buf.to_vec()))
    }

    #[test]
    fn every_split_gives_the_same_result() {
        let input = b"5\r\nhello\r\n1;ext=\"a;b\"\r\n \r\nA \t; x\r\n0123456789\r\n000\r\nX-Sum: 1\r\nY: 2\r\n\r\nNEXT";
        let whole = decode_in_steps(input, input.len()).unwrap();
        assert_eq!(whole.0, b"hello 0123456789");
        let trailers = whole.1.clone().unwrap();
        assert_eq!(trailers["x-sum"], "1");
        assert_eq!(trailers["y"], "2");
        assert!(whole.2);
        assert_eq!(whole.3, b"NEXT");
        for step in 1..input.len() {
            assert_eq!(decode_in_steps(input, step).unwrap(), whole, "step {step}");
        }
        // Two-piece splits at every boundary.
        let config = Config::default();
        for at in 0..=input.len() {
            let mut dec = ChunkedDecoder::new();
            let mut buf = BytesMut::from(&input[..at]);
            let mut body = Vec::new();
            let mut drain = |dec: &mut ChunkedDecoder, buf: &mut BytesMut| {
                while let Some(item) = dec.decode(buf, &config).unwrap() {
                    if let BodyItem::Data(d) = item {
                        body.extend_from_slice(&d);
                    }
                }
            };
            drain(&mut dec, &mut buf);
            buf.extend_from_slice(&input[at..]);
            drain(&mut dec, &mut buf);
            assert!(dec.is_finished());
            assert_eq!(body, b"hello 0123456789", "split at {at}");
            assert_eq!(&buf[..], b"NEXT");
        }
    }

    #[test]
    fn no_trailers_ends_without_a_trailers_item() {
        let (body, trailers, ended, rest) = decode_in_steps(b"3\r\nabc\r\n0\r\n\r\n", 100).unwrap();
        assert_eq!((body.as_slice(), trailers, ended, rest.as_slice()), (&b"abc"[..], None, true, &b""[..]));
        let (_, _, ended, _) = decode_in_steps(b"0\r\n\n", 100).unwrap();
        assert!(ended, "bare LF accepted as the empty line ending the trailer section");
    }

    #[test]
    fn data_is_a_slice_of_the_read_buffer() {
        let config = Config::default();
        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::from(&b"4\r\nabcd\r\n"[..]);
        let base = buf.as_ptr() as usize;
        let Some(BodyItem::Data(d)) = dec.decode(&mut buf, &config).unwrap() else { panic!("no data") };
        assert_eq!(d, Bytes::from_static(b"abcd"));
        assert_eq!(d.as_ptr() as usize, base + 3);
    }

    #[test]
    fn malformed_framing() {
        let cases: [(&[u8], ResponseError); 10] = [
            (b"\r\n", ResponseError::InvalidChunk("expected a hex chunk size")),
            (b"g\r\n", ResponseError::InvalidChunk("expected a hex chunk size")),
            (b"1g\r\n", ResponseError::InvalidChunk("invalid byte in chunk size")),
            (b"1 2\r\n", ResponseError::InvalidChunk("invalid byte after chunk size")),
            (b"1\n", ResponseError::InvalidChunk("invalid byte in chunk size")),
            (b"1\rx", ResponseError::InvalidChunk("expected LF after chunk size")),
            (b"1;a\nb\r\n", ResponseError::InvalidChunk("bare LF in chunk extension")),
            (b"1\r\nab\r\n", ResponseError::InvalidChunk("chunk data longer than its size")),
            (b"1\r\na\rb", ResponseError::InvalidChunk("expected LF after chunk data")),
            (b"10000000000000000\r\n", ResponseError::ChunkSizeOverflow),
        ];
        for (input, err) in cases {
            assert_eq!(decode_in_steps(input, 1).unwrap_err(), err, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(decode_in_steps(input, 64).unwrap_err(), err);
        }
        // The largest size that fits is accepted (the data never comes).
        let (body, _, ended, _) = decode_in_steps(b"ffffffffffffffff\r\nab", 1).unwrap();
        assert_eq!((body.as_slice(), ended), (&b"ab"[..], false));
        // Leading zeros are digits like any other.
        let (body, ..) = decode_in_steps(b"00000000000000000000003\r\nabc\r\n0\r\n\r\n", 1).unwrap();
        assert_eq!(body, b"abc");
    }

    #[test]
    fn limits() {
        let config = Config { max_chunk_line: 8, max_trailer_size: 16, ..Config::default() };
        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::from(&b"1;abcdef\r\n"[..]);
        assert_eq!(dec.decode(&mut buf, &config).unwrap_err(), ResponseError::ChunkLineTooLong { limit: 8 });
        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::from(&b"1;abcd\r\nx\r\n"[..]);
        assert!(matches!(dec.decode(&mut buf, &config), Ok(Some(BodyItem::Data(_)))));

        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::from(&b"0\r\nA: 0123456789ab\r\n\r\n"[..]);
        assert_eq!(dec.decode(&mut buf, &config).unwrap_err(), ResponseError::TrailersTooLarge { limit: 16 });
        // The limit holds when the section trickles in too.
        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::new();
        let mut result = Ok(None);
        for &b in b"0\r\nA: 0123456789ab\r\n\r\n" {
            buf.extend_from_slice(&[b]);
            result = dec.decode(&mut buf, &config);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result.unwrap_err(), ResponseError::TrailersTooLarge { limit: 16 });

        let config = Config { max_headers: 1, ..Config::default() };
        let mut dec = ChunkedDecoder::new();
        let mut buf = BytesMut::from(&b"0\r\nA: 1\r\nB: 2\r\n\r\n"[..]);
        assert_eq!(dec.decode(&mut buf, &config).unwrap_err(), ResponseError::TooManyHeaders { limit: 1 });
    }

    #[test]
    fn malformed_trailers() {
        let err = decode_in_steps(b"0\r\nno colon here\r\n\r\n", 100).unwrap_err();
        assert!(matches!(err, ResponseError::InvalidTrailers(_)), "{err:?}");
    }
}
