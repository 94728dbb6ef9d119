//! The chunked transfer coding of request bodies (RFC 9112 §7.1), decoded
//! incrementally out of the connection's read buffer. Chunk extensions and
//! trailer fields are read and discarded (§7.1.1, RFC 9110 §6.5.1).

use bytes::{Buf, BytesMut};
use http::StatusCode;

use super::head::MAX_HEAD;

/// Longest chunk-size line, extensions included.
const MAX_LINE: usize = 4096;

/// Most trailer field lines accepted.
const MAX_TRAILERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting `chunk-size [chunk-ext] CRLF`.
    Size,
    /// Inside chunk data, this many bytes to go.
    Data(u64),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: the trailer section and its final CRLF.
    Trailers,
    /// The body is complete.
    Done,
}

/// Decoder state of one chunked body.
#[derive(Debug)]
pub(super) struct ChunkedDecoder {
    state: State,
    total: u64,
    limit: u64,
}

impl ChunkedDecoder {
    /// A decoder that refuses bodies longer than `limit` with 413.
    pub(super) fn new(limit: u64) -> Self {
        Self { state: State::Size, total: 0, limit }
    }

    /// Moves what `input` holds of the body into `body`, consuming the
    /// coding. `Ok(true)` once the body and its trailer section are
    /// complete, `Ok(false)` when more input is needed.
    pub(super) fn decode(&mut self, input: &mut BytesMut, body: &mut BytesMut) -> Result<bool, StatusCode> {
        loop {
            match self.state {
                State::Size => {
                    let Some(size) = self.size_line(input)? else { return Ok(false) };
                    if size == 0 {
                        self.state = State::Trailers;
                        continue;
                    }
                    self.total = self.total.saturating_add(size);
                    if self.total > self.limit {
                        return Err(StatusCode::PAYLOAD_TOO_LARGE);
                    }
                    self.state = State::Data(size);
                }
                State::Data(left) => {
                    if input.is_empty() {
                        return Ok(false);
                    }
                    let take = usize::try_from(left).map_or(input.len(), |l| l.min(input.len()));
                    body.extend_from_slice(&input[..take]);
                    input.advance(take);
                    let left = left - take as u64;
                    self.state = if left == 0 { State::DataEnd } else { State::Data(left) };
                }
                State::DataEnd => {
                    if input.len() < 2 {
                        return Ok(false);
                    }
                    if &input[..2] != b"\r\n" {
                        return Err(StatusCode::BAD_REQUEST);
                    }
                    input.advance(2);
                    self.state = State::Size;
                }
                State::Trailers => {
                    let mut lines = [httparse::EMPTY_HEADER; MAX_TRAILERS];
                    match httparse::parse_headers(input, &mut lines) {
                        Ok(httparse::Status::Complete((len, _))) => {
                            input.advance(len);
                            self.state = State::Done;
                        }
                        Ok(httparse::Status::Partial) if input.len() < MAX_HEAD => return Ok(false),
                        Ok(httparse::Status::Partial) | Err(httparse::Error::TooManyHeaders) => {
                            return Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
                        }
                        Err(_) => return Err(StatusCode::BAD_REQUEST),
                    }
                }
                State::Done => return Ok(true),
            }
        }
    }

    /// Consumes one `chunk-size [chunk-ext] CRLF` line, if complete.
    fn size_line(&self, input: &mut BytesMut) -> Result<Option<u64>, StatusCode> {
        let window = &input[..input.len().min(MAX_LINE)];
        let Some(lf) = window.iter().position(|&b| b == b'\n') else {
            return if window.len() == MAX_LINE { Err(StatusCode::BAD_REQUEST) } else { Ok(None) };
        };
        // Lines end with CRLF; a bare LF is not accepted here (RFC 9112 §2.2
        // leaves it optional, and leniency in body framing invites smuggling).
        let Some(line) = window[..lf].strip_suffix(b"\r") else { return Err(StatusCode::BAD_REQUEST) };
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 || digits > 16 {
            return Err(StatusCode::BAD_REQUEST);
        }
        let size = line[..digits].iter().fold(0u64, |n, &d| n << 4 | u64::from(hex(d)));
        // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): only
        // checked for a leading ";" and the absence of control characters.
        let ext = line[digits..].trim_ascii_start();
        if !(ext.is_empty() || ext[0] == b';') || ext.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(StatusCode::BAD_REQUEST);
        }
        input.advance(lf + 1);
        Ok(Some(size))
    }
}

fn hex(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        _ => d.wrapping_sub(b'A').wrapping_add(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `wire` fed in pieces of `step` bytes.
    fn decode(wire: &[u8], step: usize) -> Result<(Vec<u8>, usize), StatusCode> {
        let mut decoder = ChunkedDecoder::new(1000);
        let mut input = BytesMut::new();
        let mut body = BytesMut::new();
        let mut fed = 0;
        for piece in wire.chunks(step) {
            input.extend_from_slice(piece);
            fed += piece.len();
            if decoder.decode(&mut input, &mut body)? {
                // What follows the body, consumed or not.
                return Ok((body.to_vec(), input.len() + wire.len() - fed));
            }
        }
        Err(StatusCode::CONTINUE)
    }

    #[test]
    fn decodes_in_any_pieces() {
        let wire = b"5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nx-sum: 1\r\nx-b: 2\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, wire.len()] {
            assert_eq!(decode(wire, step), Ok((b"hello, world!!!".to_vec(), 4)), "step {step}");
        }
        assert_eq!(decode(b"0\r\n\r\n", 1), Ok((vec![], 0)));
    }

    #[test]
    fn rejects_bad_codings() {
        let bad = Err(StatusCode::BAD_REQUEST);
        assert_eq!(decode(b"x\r\n", 10), bad);
        assert_eq!(decode(b"5\nhello\r\n0\r\n\r\n", 100), bad);
        assert_eq!(decode(b"5\r\nhelloXX0\r\n\r\n", 100), bad);
        assert_eq!(decode(b"5 x\r\nhello\r\n0\r\n\r\n", 100), bad);
        assert_eq!(decode(b"11111111111111111\r\n", 100), bad);
        assert_eq!(decode(b"0\r\nbad line\r\n\r\n", 100), bad);
        assert_eq!(decode(b"3e9\r\n", 100), Err(StatusCode::PAYLOAD_TOO_LARGE));
        assert_eq!(decode(&[b'1'; MAX_LINE + 1], MAX_LINE + 1), bad);
    }
}
