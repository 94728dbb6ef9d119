//! Request heads (RFC 9112 §2-§3, §6), parsed with httparse into the few
//! facts a connection acts on. The target and request id are copied into
//! strings the connection reuses, so a request costs no allocation here.

use http::StatusCode;

/// Largest request head accepted; a longer one gets 431 (RFC 6585 §5).
pub(super) const MAX_HEAD: usize = 64 << 10;

/// Most header field lines accepted in a head (431 beyond).
const MAX_FIELDS: usize = 128;

/// How the request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Framing {
    /// No body (neither field present, or `Content-Length: 0`).
    #[default]
    None,
    /// `Content-Length`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What parsing the buffered input found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parse {
    /// The head is not complete yet.
    Partial,
    /// A complete head of this many bytes.
    Complete(usize),
    /// An unacceptable head: answer with this status and close.
    Reject(StatusCode),
}

/// The facts of one request head; reused from request to request.
#[derive(Debug, Default)]
pub(super) struct RequestHead {
    target: String,
    request_id: String,
    has_request_id: bool,
    /// HTTP/1.0 (no chunked responses, close unless keep-alive).
    pub(super) http10: bool,
    /// A HEAD request: the response has no body (RFC 9110 §9.3.2).
    pub(super) is_head: bool,
    /// The client lets the connection persist (RFC 9112 §9.3).
    pub(super) keep_alive: bool,
    /// `Expect: 100-continue` on an HTTP/1.1 request (RFC 9110 §10.1.1).
    pub(super) expect_continue: bool,
    /// The request body's framing.
    pub(super) framing: Framing,
}

/// Header facts gathered before they are checked against each other.
#[derive(Default)]
struct Fields {
    content_length: Option<u64>,
    transfer_encoding: bool,
    chunked_count: u32,
    last_is_chunked: bool,
    unknown_coding: bool,
    close: bool,
    keep_alive: bool,
    hosts: u32,
}

impl RequestHead {
    /// The request target in origin form (path and query).
    pub(super) fn target(&self) -> &str {
        &self.target
    }

    /// The `x-request-id` value, when present and UTF-8.
    pub(super) fn request_id(&self) -> Option<&str> {
        self.has_request_id.then_some(self.request_id.as_str())
    }

    /// Parses the head at the start of `input`.
    pub(super) fn parse(&mut self, input: &[u8]) -> Parse {
        let mut lines = [httparse::EMPTY_HEADER; MAX_FIELDS];
        let mut req = httparse::Request::new(&mut lines);
        let len = match req.parse(input) {
            Ok(httparse::Status::Complete(len)) if len <= MAX_HEAD => len,
            Ok(httparse::Status::Partial) if input.len() < MAX_HEAD => return Parse::Partial,
            Ok(_) | Err(httparse::Error::TooManyHeaders) => {
                return Parse::Reject(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
            }
            Err(_) => return Parse::Reject(StatusCode::BAD_REQUEST),
        };
        let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
            return Parse::Reject(StatusCode::BAD_REQUEST);
        };
        self.http10 = version == 0;
        // Methods are case-sensitive (RFC 9110 §9.1).
        self.is_head = method == "HEAD";
        self.has_request_id = false;
        self.expect_continue = false;
        let mut fields = Fields::default();
        for line in req.headers.iter() {
            if let Err(status) = self.field(&mut fields, line.name, line.value) {
                return Parse::Reject(status);
            }
        }
        self.set_target(target);
        match self.settle(&fields) {
            Ok(()) => Parse::Complete(len),
            Err(status) => Parse::Reject(status),
        }
    }

    /// Takes in one field line.
    fn field(&mut self, f: &mut Fields, name: &str, value: &[u8]) -> Result<(), StatusCode> {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if is("content-length") {
            let n = content_length(value).ok_or(StatusCode::BAD_REQUEST)?;
            // Differing lengths are an unrecoverable framing error (RFC 9112 §6.3 ¶5).
            if f.content_length.is_some_and(|c| c != n) {
                return Err(StatusCode::BAD_REQUEST);
            }
            f.content_length = Some(n);
        } else if is("transfer-encoding") {
            f.transfer_encoding = true;
            for coding in list(value) {
                let chunked = coding.eq_ignore_ascii_case(b"chunked");
                f.chunked_count += u32::from(chunked);
                f.unknown_coding |= !chunked;
                f.last_is_chunked = chunked;
            }
        } else if is("connection") {
            for option in list(value) {
                f.close |= option.eq_ignore_ascii_case(b"close");
                f.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if is("host") {
            f.hosts += 1;
        } else if is("expect") {
            // Ignored in HTTP/1.0 requests (RFC 9110 §10.1.1).
            self.expect_continue =
                !self.http10 && list(value).any(|e| e.eq_ignore_ascii_case(b"100-continue"));
        } else if is(crate::ledger::REQUEST_ID_HEADER)
            && !self.has_request_id
            && let Ok(id) = std::str::from_utf8(value)
        {
            self.request_id.clear();
            self.request_id.push_str(id.trim_ascii());
            self.has_request_id = true;
        }
        Ok(())
    }

    /// Checks the fields against each other and decides framing and
    /// persistence.
    fn settle(&mut self, f: &Fields) -> Result<(), StatusCode> {
        // Exactly one Host in HTTP/1.1, at most one in HTTP/1.0 (RFC 9112 §3.2).
        if f.hosts > 1 || (f.hosts == 0 && !self.http10) {
            return Err(StatusCode::BAD_REQUEST);
        }
        self.framing = if f.transfer_encoding {
            // Both fields: possible smuggling, reject and close (RFC 9112
            // §6.3 ¶3). Transfer-Encoding in HTTP/1.0 is faulty framing
            // (§6.1). Chunked must be final and applied once (§6.3 ¶4, §7).
            if f.content_length.is_some() || self.http10 || !f.last_is_chunked || f.chunked_count > 1 {
                return Err(StatusCode::BAD_REQUEST);
            }
            // Codings we cannot undo (RFC 9112 §6.1).
            if f.unknown_coding {
                return Err(StatusCode::NOT_IMPLEMENTED);
            }
            Framing::Chunked
        } else {
            match f.content_length {
                Some(0) | None => Framing::None,
                Some(n) => Framing::Length(n),
            }
        };
        if !f.transfer_encoding && f.content_length.is_none_or(|n| n == 0) {
            self.expect_continue = false;
        }
        // RFC 9112 §9.3: close wins; HTTP/1.1 persists by default; HTTP/1.0
        // only with keep-alive.
        self.keep_alive = !f.close && (!self.http10 || f.keep_alive);
        Ok(())
    }

    /// Stores the target in origin form: an absolute-form target (RFC 9112
    /// §3.2.2) keeps its path and query, "/" when the path is empty (§3.3).
    fn set_target(&mut self, target: &str) {
        let path = match target.split_once("://") {
            Some((_, rest)) if !target.starts_with('/') => rest.find(['/', '?']).map_or("", |i| &rest[i..]),
            _ => target,
        };
        self.target.clear();
        if !path.starts_with('/') && path != "*" {
            self.target.push('/');
        }
        self.target.push_str(path);
    }
}

/// The elements of a comma-separated list, trimmed, empty ones skipped
/// (RFC 9110 §5.6.1).
fn list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(<[u8]>::trim_ascii).filter(|e| !e.is_empty())
}

/// `Content-Length = 1*DIGIT` (RFC 9110 §8.6); a list of identical values
/// counts as one.
fn content_length(value: &[u8]) -> Option<u64> {
    let mut found = None;
    for element in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        if element.is_empty() || !element.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = element.iter().try_fold(0u64, |n, d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))?;
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Parse, RequestHead) {
        let mut head = RequestHead::default();
        (head.parse(text.as_bytes()), head)
    }

    #[test]
    fn reads_the_facts() {
        let text =
            "GET http://x/a?b=1 HTTP/1.1\r\nHost: x\r\nX-Request-Id: r1\r\nContent-Length: 3, 3\r\n\r\nabc";
        let (p, h) = parse(text);
        assert_eq!(p, Parse::Complete(text.len() - 3));
        assert_eq!(h.target(), "/a?b=1");
        assert_eq!(h.request_id(), Some("r1"));
        assert_eq!(h.framing, Framing::Length(3));
        assert!(h.keep_alive && !h.http10 && !h.is_head);
        let (_, h) = parse("HEAD * HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(h.is_head && h.http10 && h.keep_alive);
        assert_eq!(h.target(), "*");
        let (_, h) = parse("GET http://x HTTP/1.0\r\n\r\n");
        assert!(!h.keep_alive);
        assert_eq!(h.target(), "/");
        let (_, h) =
            parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n");
        assert_eq!(h.framing, Framing::Chunked);
        assert!(h.expect_continue);
        let (_, h) =
            parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\nExpect: 100-continue\r\n\r\n");
        assert!(!h.keep_alive && !h.expect_continue);
    }

    #[test]
    fn rejects_what_rfc_9112_rejects() {
        let bad = StatusCode::BAD_REQUEST;
        let cases = [
            ("GET / HTTP/1.1\r\n\r\n", bad),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", bad),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", bad),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", bad),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", bad),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", bad),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", bad),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                bad,
            ),
            (
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                StatusCode::NOT_IMPLEMENTED,
            ),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", bad),
            ("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", bad),
            ("garbage\r\n\r\n", bad),
        ];
        for (text, status) in cases {
            assert_eq!(parse(text).0, Parse::Reject(status), "{text:?}");
        }
    }

    #[test]
    fn limits_head_size() {
        assert_eq!(parse("GET / HTTP/1.1\r\nHost: a\r\n").0, Parse::Partial);
        let long = format!("GET / HTTP/1.1\r\nHost: a\r\nx: {}", "a".repeat(MAX_HEAD));
        assert_eq!(parse(&long).0, Parse::Reject(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
        let many: String = (0..MAX_FIELDS + 1).map(|i| format!("x{i}: 1\r\n")).collect();
        let text = format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n");
        assert_eq!(parse(&text).0, Parse::Reject(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    }
}
