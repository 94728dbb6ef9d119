//! Response heads (RFC 9112 §4, §5) parsed with httparse, incrementally:
//! bytes may arrive split anywhere, and each byte is scanned once.

use std::mem::MaybeUninit;
use std::sync::LazyLock;

use bytes::{Buf, Bytes, BytesMut};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Version};
use memchr::memmem::Finder;

use super::config::Config;
use super::error::ResponseError;
use super::head_facts::HeadFacts;
use crate::known_fields::KnownFields;

/// A response head as received: final or informational (1xx).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// `HTTP/1.0` or `HTTP/1.1`.
    pub version: Version,
    /// The status code.
    pub status: StatusCode,
    /// The header fields, in order, obs-fold replaced by SP (RFC 9112 §5.2).
    pub headers: HeaderMap,
    /// The reason phrase as sent, a slice of the received head (RFC 9112
    /// §4: it may be empty, and a client should ignore it). Empty too when
    /// it holds obs-text (bytes 0x80 and up), which httparse does not hand
    /// out.
    pub reason: Bytes,
}

/// Header slots kept on the stack; a larger `Config::max_headers` uses a
/// heap buffer for each parse.
const STACK_HEADERS: usize = 128;

/// Finds and parses one response head at the front of a buffer.
///
/// httparse re-parses from the first byte on every call, so calling it on
/// each arriving fragment would cost O(n²) for a head trickled in byte by
/// byte. Instead we scan for the empty line that ends the head (remembering
/// how far we got) and call httparse once, on the complete head.
#[derive(Debug, Default)]
pub(crate) struct HeadParser {
    /// Bytes at the front of the buffer already known not to end the head.
    scanned: usize,
}

impl HeadParser {
    /// Takes one complete head off the front of `buf`; `Ok(None)` when more
    /// bytes are needed (nothing is consumed then, except empty lines before
    /// the status line).
    ///
    /// # Errors
    /// A [`ResponseError`] when the head is malformed or over a limit.
    /// `known` holds the fields this connection has checked before.
    pub(crate) fn parse(
        &mut self,
        buf: &mut BytesMut,
        config: &Config,
        known: &mut KnownFields,
    ) -> Result<Option<(ResponseHead, HeadFacts)>, ResponseError> {
        if self.scanned == 0 {
            skip_empty_lines(buf);
        }
        // Never scan past what the limit allows, however much was read.
        let bytes: &[u8] = buf;
        let window = bytes.get(..config.max_head_size.saturating_add(3)).unwrap_or(bytes);
        let end = match find_head_end(window, self.scanned.saturating_sub(1)) {
            Ok(end) => end,
            Err(resume) => {
                // A lone CR may still become an empty line to skip.
                self.scanned = if buf.as_ref() == b"\r" { 0 } else { resume };
                if buf.len() > config.max_head_size {
                    return Err(ResponseError::HeadTooLarge { limit: config.max_head_size });
                }
                return Ok(None);
            }
        };
        if end > config.max_head_size {
            return Err(ResponseError::HeadTooLarge { limit: config.max_head_size });
        }
        self.scanned = 0;
        let head = buf.split_to(end).freeze();
        if config.max_headers <= STACK_HEADERS {
            let mut slots = [const { MaybeUninit::uninit() }; STACK_HEADERS];
            let slots = slots.get_mut(..config.max_headers).unwrap_or_default();
            parse_head(&head, slots, config, known).map(Some)
        } else {
            let mut slots = Vec::new();
            slots.resize_with(config.max_headers, MaybeUninit::uninit);
            parse_head(&head, &mut slots, config, known).map(Some)
        }
    }
}

/// RFC 9112 §2.2 lets a recipient ignore empty lines before the start line
/// (some servers send a stray CRLF after a body). httparse skips them too,
/// but removing them first keeps them from looking like the end of a head.
fn skip_empty_lines(buf: &mut BytesMut) {
    loop {
        match buf.as_ref() {
            [b'\n', ..] => buf.advance(1),
            [b'\r', b'\n', ..] => buf.advance(2),
            _ => return,
        }
    }
}

/// The offset just past the empty line ending the head (`\n\n` or
/// `\n\r\n`: RFC 9112 §2.2 allows a bare LF as line terminator), searching
/// from `from`. `Err(resume)` when there is none yet, with where the next
/// search should start.
fn find_head_end(buf: &[u8], from: usize) -> Result<usize, usize> {
    let rest = buf.get(from..).unwrap_or_default();
    // Two SIMD searches over the head: the usual ending, CRLF CRLF (from
    // the first LF), then a bare-LF one before it. (One search per line,
    // as before, was nine calls for a head of nginx's.)
    // The searchers are made once: making one costs more than a search.
    static CRLF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\r\n"));
    static LF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\n"));
    let crlf = CRLF.find(rest);
    let before = rest.get(..crlf.map_or(rest.len(), |at| at + 1)).unwrap_or_default();
    match (LF.find(before), crlf) {
        (Some(lf), _) => Ok(from + lf + 2),
        (None, Some(lf)) => Ok(from + lf + 3),
        // An ending not complete yet starts in the last two octets.
        (None, None) => Err(buf.len().saturating_sub(2).max(from)),
    }
}

/// Parses a complete head (`head` ends with its empty line) into owned
/// parts, and what its fields say about framing and reuse. Field values
/// are slices of `head`, not copies, or the same values as in an earlier
/// response (`known`, see `known_fields.rs`).
fn parse_head<'h>(
    head: &'h Bytes,
    slots: &mut [MaybeUninit<httparse::Header<'h>>],
    config: &Config,
    known: &mut KnownFields,
) -> Result<(ResponseHead, HeadFacts), ResponseError> {
    let mut response = httparse::Response::new(&mut []);
    let mut parser = httparse::ParserConfig::default();
    // RFC 9112 §5.2: a user agent receiving obs-fold in a response "MUST
    // replace each received obs-fold with one or more SP octets"; we let
    // httparse accept the fold and replace it below.
    parser.allow_obsolete_multiline_headers_in_responses(true);
    match parser.parse_response_with_uninit_headers(&mut response, head, slots) {
        Ok(httparse::Status::Complete(n)) if n == head.len() => {}
        // The scan found an empty line httparse does not see as the end:
        // only malformed input can do that.
        Ok(_) => return Err(ResponseError::InvalidHead("head does not end where expected")),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(ResponseError::TooManyHeaders { limit: config.max_headers });
        }
        Err(e) => return Err(ResponseError::InvalidHead(httparse_reason(e))),
    }
    let version = match response.version {
        Some(0) => Version::HTTP_10,
        Some(1) => Version::HTTP_11,
        _ => return Err(ResponseError::InvalidHead("invalid HTTP version")),
    };
    // RFC 9110 §15: three digits; `http` accepts 100..=999, and a value
    // below 100 cannot be classified at all.
    let status = response
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or(ResponseError::InvalidHead("invalid status code"))?;
    let mut headers = crate::spare_headers::take(response.headers.len());
    let mut facts = HeadFacts::default();
    for field in response.headers.iter() {
        let sent = field.name.as_bytes();
        let (name, slot) = match known.find(sent) {
            Some((i, name)) => (name, Some(i)),
            None => {
                let name = HeaderName::from_bytes(sent).map_err(|_| ResponseError::InvalidHeader)?;
                let slot = known.add(sent, name.clone());
                (name, slot)
            }
        };
        // A value kept from an earlier head skips the scan for an obs-fold
        // (a folded value is never kept).
        let value = match known.kept(slot, field.value) {
            Some(kept) => Some(kept),
            None if field.value.iter().any(|&b| b == b'\r' || b == b'\n') => {
                let unfolded: Vec<u8> =
                    field.value.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect();
                HeaderValue::from_bytes(&unfolded).ok()
            }
            None => known.value(slot, field.value, || share(head, field.value)),
        }
        .ok_or(ResponseError::InvalidHeader)?;
        facts.note(sent, value.as_bytes());
        headers.append(name, value);
    }
    let reason = share(head, response.reason.unwrap_or_default().as_bytes());
    Ok((ResponseHead { version, status, headers, reason }, facts))
}

/// `part` as a slice of `whole` sharing its memory, or a copy if `part`
/// is not inside `whole` (it always is for httparse output; the check
/// keeps this free of a panic path).
pub(crate) fn share(whole: &Bytes, part: &[u8]) -> Bytes {
    let start = (part.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
    match start.checked_add(part.len()) {
        Some(end) if end <= whole.len() && !part.is_empty() => whole.slice(start..end),
        _ => Bytes::copy_from_slice(part),
    }
}

pub(crate) fn httparse_reason(e: httparse::Error) -> &'static str {
    match e {
        httparse::Error::HeaderName => "invalid byte in header name",
        httparse::Error::HeaderValue => "invalid byte in header value",
        httparse::Error::NewLine => "invalid line ending",
        httparse::Error::Status => "invalid status line",
        httparse::Error::Token => "invalid token",
        httparse::Error::TooManyHeaders => "too many header fields",
        httparse::Error::Version => "invalid HTTP version",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(bytes: &[u8], config: &Config) -> Result<Option<ResponseHead>, ResponseError> {
        let mut buf = BytesMut::from(bytes);
        let parsed = HeadParser::default().parse(&mut buf, config, &mut KnownFields::default());
        parsed.map(|head| head.map(|(head, _)| head))
    }

    /// Feeds `bytes` one byte at a time; returns the head and what is left.
    fn parse_bytewise(bytes: &[u8]) -> (Option<ResponseHead>, BytesMut) {
        let mut parser = HeadParser::default();
        let mut buf = BytesMut::new();
        let config = Config::default();
        for &b in bytes {
            buf.extend_from_slice(&[b]);
            if let Some((head, _)) = parser.parse(&mut buf, &config, &mut KnownFields::default()).unwrap() {
                return (Some(head), buf);
            }
        }
        (None, buf)
    }

    /// The first empty line, by the definition: an LF followed by LF or
    /// CR LF.
    fn head_end_by_definition(buf: &[u8]) -> Option<usize> {
        (0..buf.len()).find_map(|i| match (buf[i], buf.get(i + 1), buf.get(i + 2)) {
            (b'\n', Some(b'\n'), _) => Some(i + 2),
            (b'\n', Some(b'\r'), Some(b'\n')) => Some(i + 3),
            _ => None,
        })
    }

    #[test]
    fn the_head_ends_at_the_first_empty_line_however_the_bytes_arrive() {
        // Every mix of CRLF and bare-LF lines, the ending either way, and a
        // body that holds endings of both kinds.
        let lines = ["HTTP/1.1 200 OK", "A: 1", "B: 2"];
        for mask in 0..32u32 {
            let mut bytes = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                bytes.extend_from_slice(line.as_bytes());
                bytes.extend_from_slice(if mask & (1 << i) == 0 { b"\r\n" } else { b"\n" });
            }
            bytes.extend_from_slice(if mask & 8 == 0 { b"\r\n" } else { b"\n" });
            bytes.extend_from_slice(if mask & 16 == 0 { b"x\n\r\n\n\ny" } else { b"\n\ny\r\n\r\n" });
            let want = head_end_by_definition(&bytes);
            assert_eq!(find_head_end(&bytes, 0).ok(), want, "{:?}", String::from_utf8_lossy(&bytes));
            // Fed one octet at a time, resuming where the last search said.
            let mut resume = 0usize;
            let found =
                (1..=bytes.len()).find_map(|n| match find_head_end(&bytes[..n], resume.saturating_sub(1)) {
                    Ok(end) => Some(end),
                    Err(at) => {
                        resume = at;
                        None
                    }
                });
            assert_eq!(found, want, "bytewise {:?}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn fields_known_from_earlier_heads_are_current() {
        let known = &mut KnownFields::default();
        let mut parse = |bytes: &[u8]| {
            let mut buf = BytesMut::from(bytes);
            HeadParser::default().parse(&mut buf, &Config::default(), known).unwrap().unwrap().0.headers
        };
        let a = parse(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: \"1\"\r\n\r\n");
        let b = parse(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: \"2\"\r\n\r\n");
        let c = parse(b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nETAG: \"2\"\r\n\r\n");
        assert_eq!(
            (&a["content-type"], &a["etag"]),
            (&HeaderValue::from_static("text/plain"), &HeaderValue::from_static("\"1\""))
        );
        assert_eq!(
            (&b["content-type"], &b["etag"]),
            (&HeaderValue::from_static("text/plain"), &HeaderValue::from_static("\"2\""))
        );
        assert_eq!(
            (&c["content-type"], &c["etag"]),
            (&HeaderValue::from_static("text/html"), &HeaderValue::from_static("\"2\""))
        );
        // An obs-folded value is unfolded, never taken for a known one.
        let d = parse(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n  more\r\n\r\n");
        assert_eq!(d["content-type"], "text/plain    more", "CR and LF each one SP");
    }

    #[test]
    fn keeps_the_reason_phrase_as_sent() {
        let config = Config::default();
        let cases: [(&[u8], &[u8]); 5] = [
            (b"HTTP/1.1 200 OK\r\n\r\n", b"OK"),
            (b"HTTP/1.1 201 Made It, Thanks\r\n\r\n", b"Made It, Thanks"),
            (b"HTTP/1.1 204 \r\n\r\n", b""),
            (b"HTTP/1.0 500 Oops\n\n", b"Oops"),
            // httparse hands out no phrase with obs-text in it.
            (b"HTTP/1.1 200 Tr\xe8s bien\r\n\r\n", b""),
        ];
        for (bytes, reason) in cases {
            let head = parse_all(bytes, &config).unwrap().unwrap();
            assert_eq!(head.reason, reason, "{:?}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn parses_a_head_and_leaves_the_body() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nX-A: 1\r\nx-a: 2\r\nConnection: x,\r\n close\r\n\r\nabc"[..],
        );
        let (head, facts) = HeadParser::default()
            .parse(&mut buf, &Config::default(), &mut KnownFields::default())
            .unwrap()
            .unwrap();
        assert_eq!(head.version, Version::HTTP_11);
        assert_eq!(head.status, StatusCode::NOT_FOUND);
        assert_eq!(head.reason, "Not Found");
        assert_eq!(head.headers["content-length"], "3");
        let xs: Vec<_> = head.headers.get_all("x-a").iter().collect();
        assert_eq!(xs, ["1", "2"]);
        assert_eq!(&buf[..], b"abc");
        // The facts are those of the fields as they went into the map:
        // the folded Connection value lists `close`.
        assert_eq!(facts, HeadFacts::of(&head.headers));
        assert_eq!(facts.content_length(), Some(Some(3)));
        assert!(facts.close);
    }

    #[test]
    fn byte_by_byte_equals_all_at_once() {
        let inputs: [&[u8]; 4] = [
            b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n",
            b"HTTP/1.0 200 OK\nA: b\nC:  d \n\n",
            b"\r\n\r\nHTTP/1.1 204\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nFolded: a\r\n  b\r\n\r\n",
        ];
        for input in inputs {
            let whole = parse_all(input, &Config::default()).unwrap().unwrap();
            let (split, rest) = parse_bytewise(input);
            assert_eq!(Some(whole), split, "{:?}", String::from_utf8_lossy(input));
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn obs_fold_becomes_spaces() {
        let head =
            parse_all(b"HTTP/1.1 200 OK\r\nFolded: a\r\n\tb\r\n\r\n", &Config::default()).unwrap().unwrap();
        assert_eq!(head.headers["folded"], "a  \tb");
    }

    #[test]
    fn partial_heads_wait() {
        for partial in [&b"HTTP/1.1 200 OK\r\n"[..], b"HTTP/1.1 200 OK\r\nA: b\r\n\r", b"HTT", b"\r"] {
            assert_eq!(parse_all(partial, &Config::default()), Ok(None));
        }
    }

    #[test]
    fn head_size_limit() {
        let config = Config { max_head_size: 32, ..Config::default() };
        let long = b"HTTP/1.1 200 OK\r\nA: 0123456789abcdef\r\n\r\n";
        assert_eq!(parse_all(long, &config), Err(ResponseError::HeadTooLarge { limit: 32 }));
        // Unterminated: refused once the buffer passes the limit.
        assert_eq!(parse_all(&[b'a'; 33], &config), Err(ResponseError::HeadTooLarge { limit: 32 }));
        assert_eq!(parse_all(&[b'a'; 32], &config), Ok(None));
        // Exactly at the limit is fine.
        let exact = b"HTTP/1.1 200 OK\r\nA: 0123456\r\n\r\n";
        assert_eq!(exact.len(), 31);
        assert!(parse_all(exact, &Config { max_head_size: 31, ..config }).unwrap().is_some());
    }

    #[test]
    fn head_limit_holds_when_a_huge_read_has_no_head_end() {
        let config = Config { max_head_size: 16, ..Config::default() };
        let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
        input.extend_from_slice(&[b'a'; 1 << 20]);
        input.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse_all(&input, &config), Err(ResponseError::HeadTooLarge { limit: 16 }));
    }

    #[test]
    fn header_count_limit() {
        let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..5 {
            input.extend_from_slice(format!("h{i}: v\r\n").as_bytes());
        }
        input.extend_from_slice(b"\r\n");
        let config = Config { max_headers: 4, ..Config::default() };
        assert_eq!(parse_all(&input, &config), Err(ResponseError::TooManyHeaders { limit: 4 }));
        let config = Config { max_headers: 5, ..Config::default() };
        assert_eq!(parse_all(&input, &config).unwrap().unwrap().headers.len(), 5);
        // Above the stack array: the heap path.
        let config = Config { max_headers: 500, ..Config::default() };
        assert_eq!(parse_all(&input, &config).unwrap().unwrap().headers.len(), 5);
    }

    #[test]
    fn malformed_heads_are_errors() {
        let bad: [&[u8]; 6] = [
            b"HTTP/2.0 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA: \x01\r\n\r\n",
            b"garbage\r\n\r\n",
        ];
        for input in bad {
            assert!(
                matches!(
                    parse_all(input, &Config::default()),
                    Err(ResponseError::InvalidHead(_) | ResponseError::InvalidHeader)
                ),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn values_share_the_head_buffer() {
        let head = Bytes::from_static(b"abcdef");
        let inner = share(&head, &head[2..4]);
        assert_eq!(&inner[..], b"cd");
        assert_eq!(inner.as_ptr(), head[2..].as_ptr());
        assert_eq!(&share(&head, b"zz")[..], b"zz");
    }
}
