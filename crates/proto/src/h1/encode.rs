//! Request heads (RFC 9112 §3) and request body framing (§6, §7.1).

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

use super::error::SendError;
use crate::field_list::{list_elements, parse_decimal};

/// Frames the request body after the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyEncoder {
    /// `Content-Length: declared`; `sent` bytes queued so far.
    Length { declared: u64, sent: u64 },
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// How the head frames the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestFraming {
    /// No body and no framing field.
    None,
    Length(u64),
    Chunked,
}

/// Encodes a request head into `buf`: request line in origin-form (or
/// absolute-form with `absolute`, for a forward proxy), `Host`
/// first, the caller's fields, then the framing field chosen from
/// `body_len` (`None`: unknown length, chunked). Returns the body encoder,
/// or `None` when the request has no body. On error `buf` may hold a
/// partial head; the caller truncates it.
///
/// # Errors
/// [`SendError`] for a method, target or field that cannot be sent.
pub(crate) fn encode_head(
    buf: &mut BytesMut,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body_len: Option<u64>,
    absolute: bool,
) -> Result<Option<BodyEncoder>, SendError> {
    // RFC 9112 §3.2.3: CONNECT uses the authority-form, which we do not
    // send (no tunnels).
    if method == Method::CONNECT {
        return Err(SendError::UnsupportedMethod);
    }
    let framing = request_framing(method, headers, body_len)?;
    buf.reserve(256);
    buf.put_slice(method.as_str().as_bytes());
    buf.put_u8(b' ');
    if absolute {
        put_absolute(buf, uri)?;
    }
    // RFC 9112 §3.2.4: a server-wide OPTIONS to a proxy is the
    // absolute-form with an empty path.
    if !(absolute && uri.path() == "*") {
        put_target(buf, method, uri)?;
    }
    buf.put_slice(b" HTTP/1.1\r\n");

    // RFC 9112 §3.2: a client MUST send Host in every HTTP/1.1 request;
    // one field only (a server answers 400 to several). RFC 9110 §7.2: a
    // user agent SHOULD send it as the first field.
    let mut hosts = headers.get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => return Err(invalid(HOST, "more than one Host field")),
        (Some(host), None) => put_field(buf, &HOST, host)?,
        (None, _) => {
            buf.put_slice(b"host: ");
            // §3.2: the target URI's authority without userinfo; "If the
            // authority component is missing or undefined for the target
            // URI, then a client MUST send a Host header field with an empty
            // field value."
            if let Some(authority) = uri.authority() {
                let host = crate::authority::host_port(authority).as_bytes();
                if host.iter().any(|&b| !is_target_byte(b)) {
                    return Err(SendError::InvalidUri("invalid byte in the authority"));
                }
                buf.put_slice(host);
            }
            buf.put_slice(b"\r\n");
        }
    }

    for (name, value) in headers {
        if name != HOST && name != CONTENT_LENGTH && name != TRANSFER_ENCODING {
            put_field(buf, name, value)?;
        }
    }
    match framing {
        RequestFraming::None => {}
        RequestFraming::Length(n) => {
            let _ = write!(buf, "content-length: {n}\r\n");
        }
        RequestFraming::Chunked => buf.put_slice(b"transfer-encoding: chunked\r\n"),
    }
    buf.put_slice(b"\r\n");
    Ok(match framing {
        RequestFraming::None | RequestFraming::Length(0) => None,
        RequestFraming::Length(declared) => Some(BodyEncoder::Length { declared, sent: 0 }),
        RequestFraming::Chunked => Some(BodyEncoder::Chunked),
    })
}

/// Chooses the framing from the body length and the caller's own framing
/// fields, which must agree with it.
fn request_framing(
    method: &Method,
    headers: &HeaderMap,
    body_len: Option<u64>,
) -> Result<RequestFraming, SendError> {
    let caller_length = if headers.contains_key(CONTENT_LENGTH) {
        let mut values = list_elements(headers, &CONTENT_LENGTH).map(parse_decimal);
        let first = values.next().flatten();
        match first {
            Some(n) if values.all(|v| v == Some(n)) => Some(n),
            _ => return Err(invalid(CONTENT_LENGTH, "not a single valid length")),
        }
    } else {
        None
    };
    let caller_chunked = if headers.contains_key(TRANSFER_ENCODING) {
        // We apply no other coding; a caller asking for one would get a
        // body that does not match its head.
        let mut codings = list_elements(headers, &TRANSFER_ENCODING);
        match (codings.next(), codings.next()) {
            (Some(c), None) if c.eq_ignore_ascii_case(b"chunked") => true,
            _ => return Err(invalid(TRANSFER_ENCODING, "only `chunked` is supported")),
        }
    } else {
        false
    };
    Ok(match (body_len, caller_length, caller_chunked) {
        // RFC 9112 §6.2: "A sender MUST NOT send a Content-Length header
        // field in any message that contains a Transfer-Encoding header
        // field."
        (_, Some(_), true) => return Err(invalid(TRANSFER_ENCODING, "sent together with Content-Length")),
        (Some(n), Some(declared), _) if n != declared => {
            return Err(invalid(CONTENT_LENGTH, "disagrees with the body length"));
        }
        (_, _, true) | (None, None, false) => RequestFraming::Chunked,
        (None, Some(n), false) => RequestFraming::Length(n),
        // RFC 9110 §8.6: a user agent normally sends Content-Length in a
        // POST "even when the value is 0", and "SHOULD NOT send a
        // Content-Length header field when the request message does not
        // contain content and the method semantics do not anticipate such
        // data". POST, PUT and PATCH anticipate content.
        (Some(0), None, false) if !anticipates_content(method) => RequestFraming::None,
        (Some(n), _, false) => RequestFraming::Length(n),
    })
}

fn anticipates_content(method: &Method) -> bool {
    *method == Method::POST || *method == Method::PUT || *method == Method::PATCH
}

/// RFC 9112 §3.2.1 origin-form (`absolute-path [ "?" query ]`, "/" for an
/// empty path), or §3.2.4 asterisk-form for `OPTIONS *`.
fn put_target(buf: &mut BytesMut, method: &Method, uri: &Uri) -> Result<(), SendError> {
    let path = uri.path();
    if path == "*" {
        if *method != Method::OPTIONS {
            return Err(SendError::InvalidUri("`*` is only a target for OPTIONS"));
        }
        buf.put_u8(b'*');
        return Ok(());
    }
    let path = if path.is_empty() { "/" } else { path };
    if !path.starts_with('/') {
        return Err(SendError::InvalidUri("path must start with `/`"));
    }
    let query = uri.query();
    // `http::Uri` already refuses these; checked again because a request
    // line with SP, CR or LF in its target would be a different request.
    let all = path.bytes().chain(query.unwrap_or_default().bytes());
    if all.into_iter().any(|b| !is_target_byte(b)) {
        return Err(SendError::InvalidUri("control byte or space in the target"));
    }
    buf.put_slice(path.as_bytes());
    if let Some(q) = query {
        buf.put_u8(b'?');
        buf.put_slice(q.as_bytes());
    }
    Ok(())
}

/// RFC 9112 §3.2.2: the scheme and authority (without userinfo) before
/// the origin-form target that follows.
fn put_absolute(buf: &mut BytesMut, uri: &Uri) -> Result<(), SendError> {
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(SendError::InvalidUri("absolute-form needs a scheme and an authority"));
    };
    let host = crate::authority::host_port(authority);
    if host.bytes().chain(scheme.bytes()).any(|b| !is_target_byte(b)) {
        return Err(SendError::InvalidUri("invalid byte in the authority"));
    }
    buf.put_slice(scheme.as_bytes());
    buf.put_slice(b"://");
    buf.put_slice(host.as_bytes());
    Ok(())
}

fn is_target_byte(b: u8) -> bool {
    b > b' ' && b != 0x7F
}

fn put_field(buf: &mut BytesMut, name: &HeaderName, value: &HeaderValue) -> Result<(), SendError> {
    check_value(name, value)?;
    buf.put_slice(name.as_str().as_bytes());
    buf.put_slice(b": ");
    buf.put_slice(value.as_bytes());
    buf.put_slice(b"\r\n");
    Ok(())
}

/// RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value.
/// `HeaderValue` refuses them already, unless built with the unchecked
/// constructor; a value with CR LF would inject fields.
fn check_value(name: &HeaderName, value: &HeaderValue) -> Result<(), SendError> {
    if value.as_bytes().iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(invalid(name.clone(), "CR, LF or NUL in the value"));
    }
    Ok(())
}

fn invalid(name: HeaderName, reason: &'static str) -> SendError {
    SendError::InvalidHeader { name, reason }
}

impl BodyEncoder {
    /// Checks that `len` more bytes (and the end, if `end`) fit the
    /// framing, without changing anything.
    ///
    /// # Errors
    /// [`SendError::BodyTooLong`] / [`SendError::BodyTooShort`] against a
    /// Content-Length.
    pub(crate) fn check(&self, len: usize, end: bool) -> Result<(), SendError> {
        if let Self::Length { declared, sent } = *self {
            let total = sent.saturating_add(len as u64);
            if total > declared {
                return Err(SendError::BodyTooLong { declared, attempted: total });
            }
            if end && total < declared {
                return Err(SendError::BodyTooShort { declared, sent: total });
            }
        }
        Ok(())
    }

    /// Appends `data` (framed) to `buf`, and the end of the body when
    /// `end`. Returns the offset in `buf` where `data` starts. Call
    /// [`Self::check`] first.
    pub(crate) fn encode(&mut self, buf: &mut BytesMut, data: &[u8], end: bool) -> usize {
        match self {
            Self::Length { sent, .. } => {
                *sent += data.len() as u64;
                let at = buf.len();
                buf.put_slice(data);
                at
            }
            Self::Chunked => {
                // RFC 9112 §7.1: an empty chunk would be the last-chunk, so
                // an empty piece adds nothing.
                if !data.is_empty() {
                    buf.reserve(data.len() + 20);
                    let _ = write!(buf, "{:x}\r\n", data.len());
                }
                let at = buf.len();
                if !data.is_empty() {
                    buf.put_slice(data);
                    buf.put_slice(b"\r\n");
                }
                if end {
                    buf.put_slice(b"0\r\n\r\n");
                }
                at
            }
        }
    }

    /// Ends a chunked body with a trailer section (RFC 9112 §7.1.2).
    ///
    /// # Errors
    /// [`SendError::TrailersNeedChunked`] for a Content-Length body;
    /// [`SendError::InvalidHeader`] for a value with CR, LF or NUL.
    pub(crate) fn encode_trailers(&self, buf: &mut BytesMut, trailers: &HeaderMap) -> Result<(), SendError> {
        if *self != Self::Chunked {
            return Err(SendError::TrailersNeedChunked);
        }
        for (name, value) in trailers {
            check_value(name, value)?;
        }
        buf.put_slice(b"0\r\n");
        for (name, value) in trailers {
            // Checked above: cannot fail.
            let _ = put_field(buf, name, value);
        }
        buf.put_slice(b"\r\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(
        method: Method,
        uri: &str,
        fields: &[(&str, &str)],
        body_len: Option<u64>,
    ) -> Result<(String, Option<BodyEncoder>), SendError> {
        let mut headers = HeaderMap::new();
        for (n, v) in fields {
            headers.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        let mut buf = BytesMut::new();
        let enc = encode_head(&mut buf, &method, &uri.parse().unwrap(), &headers, body_len, false)?;
        Ok((String::from_utf8(buf.to_vec()).unwrap(), enc))
    }

    #[test]
    fn get_without_body_has_no_framing_field() {
        let (h, enc) =
            head(Method::GET, "http://example.com/a/b?c=d", &[("accept", "*/*")], Some(0)).unwrap();
        assert_eq!(h, "GET /a/b?c=d HTTP/1.1\r\nhost: example.com\r\naccept: */*\r\n\r\n");
        assert_eq!(enc, None);
        let (h, _) = head(Method::HEAD, "http://example.com", &[], Some(0)).unwrap();
        assert_eq!(h, "HEAD / HTTP/1.1\r\nhost: example.com\r\n\r\n");
    }

    #[test]
    fn host_from_authority_without_userinfo_with_port() {
        let (h, _) = head(Method::GET, "http://user:pw@example.com:8080?q", &[], Some(0)).unwrap();
        assert_eq!(h, "GET /?q HTTP/1.1\r\nhost: example.com:8080\r\n\r\n");
        let (h, _) = head(Method::GET, "http://[::1]:99/", &[], Some(0)).unwrap();
        assert_eq!(h, "GET / HTTP/1.1\r\nhost: [::1]:99\r\n\r\n");
        // No authority: an empty Host (RFC 9112 §3.2).
        let (h, _) = head(Method::GET, "/only/path", &[], Some(0)).unwrap();
        assert_eq!(h, "GET /only/path HTTP/1.1\r\nhost: \r\n\r\n");
    }

    #[test]
    fn caller_host_goes_first_and_wins() {
        let (h, _) =
            head(Method::GET, "http://a.example/", &[("x-a", "1"), ("host", "b.example")], Some(0)).unwrap();
        assert_eq!(h, "GET / HTTP/1.1\r\nhost: b.example\r\nx-a: 1\r\n\r\n");
        let err = head(Method::GET, "http://a/", &[("host", "b"), ("host", "c")], Some(0)).unwrap_err();
        assert!(matches!(err, SendError::InvalidHeader { ref name, .. } if name == HOST), "{err:?}");
    }

    #[test]
    fn post_framing() {
        let (h, enc) = head(Method::POST, "http://a/", &[], Some(0)).unwrap();
        assert_eq!(h, "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(enc, None);
        let (h, enc) = head(Method::PUT, "http://a/", &[], Some(5)).unwrap();
        assert_eq!(h, "PUT / HTTP/1.1\r\nhost: a\r\ncontent-length: 5\r\n\r\n");
        assert_eq!(enc, Some(BodyEncoder::Length { declared: 5, sent: 0 }));
        let (h, enc) = head(Method::POST, "http://a/", &[], None).unwrap();
        assert_eq!(h, "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n");
        assert_eq!(enc, Some(BodyEncoder::Chunked));
    }

    #[test]
    fn caller_framing_fields_must_agree() {
        let (h, enc) = head(Method::POST, "http://a/", &[("content-length", "3")], Some(3)).unwrap();
        assert_eq!(h, "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n");
        assert!(enc.is_some());
        // The caller's length is used when body_len is unknown.
        let (_, enc) = head(Method::POST, "http://a/", &[("content-length", "7")], None).unwrap();
        assert_eq!(enc, Some(BodyEncoder::Length { declared: 7, sent: 0 }));
        let (h, _) = head(Method::POST, "http://a/", &[("transfer-encoding", "Chunked")], Some(3)).unwrap();
        assert!(h.ends_with("transfer-encoding: chunked\r\n\r\n"), "{h}");
        for (fields, len) in [
            (&[("content-length", "3")][..], Some(4)),
            (&[("content-length", "x")][..], None),
            (&[("content-length", "3"), ("content-length", "4")][..], None),
            (&[("transfer-encoding", "gzip, chunked")][..], None),
            (&[("transfer-encoding", "chunked"), ("content-length", "1")][..], None),
        ] {
            assert!(
                matches!(head(Method::POST, "http://a/", fields, len), Err(SendError::InvalidHeader { .. })),
                "{fields:?}"
            );
        }
    }

    #[test]
    fn invalid_requests() {
        assert_eq!(head(Method::CONNECT, "a:443", &[], Some(0)).unwrap_err(), SendError::UnsupportedMethod);
        let (h, _) = head(Method::OPTIONS, "*", &[], Some(0)).unwrap();
        assert!(h.starts_with("OPTIONS * HTTP/1.1\r\n"), "{h}");
        assert!(matches!(head(Method::GET, "*", &[], Some(0)), Err(SendError::InvalidUri(_))));
        assert!(head(Method::GET, "http://a", &[], Some(0)).is_ok());
    }

    #[test]
    fn chunked_body_encoding() {
        let mut enc = BodyEncoder::Chunked;
        let mut buf = BytesMut::new();
        assert_eq!(enc.encode(&mut buf, b"hello world, hello!", false), 4);
        assert_eq!(enc.encode(&mut buf, b"", false), buf.len());
        let at = enc.encode(&mut buf, b"x", true);
        assert_eq!(&buf[at..at + 1], b"x");
        assert_eq!(&buf[..], b"13\r\nhello world, hello!\r\n1\r\nx\r\n0\r\n\r\n");

        let mut buf = BytesMut::new();
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", HeaderValue::from_static("abc"));
        enc.encode_trailers(&mut buf, &trailers).unwrap();
        assert_eq!(&buf[..], b"0\r\nx-checksum: abc\r\n\r\n");
        let length = BodyEncoder::Length { declared: 1, sent: 0 };
        assert_eq!(length.encode_trailers(&mut buf, &trailers), Err(SendError::TrailersNeedChunked));
    }

    #[test]
    fn length_body_checks() {
        let mut enc = BodyEncoder::Length { declared: 5, sent: 0 };
        assert_eq!(enc.check(6, false), Err(SendError::BodyTooLong { declared: 5, attempted: 6 }));
        assert_eq!(enc.check(3, true), Err(SendError::BodyTooShort { declared: 5, sent: 3 }));
        enc.check(3, false).unwrap();
        let mut buf = BytesMut::new();
        assert_eq!(enc.encode(&mut buf, b"abc", false), 0);
        assert_eq!(enc.check(3, false), Err(SendError::BodyTooLong { declared: 5, attempted: 6 }));
        enc.check(2, true).unwrap();
        assert_eq!(enc.encode(&mut buf, b"de", true), 3);
        assert_eq!(&buf[..], b"abcde");
    }

    #[test]
    fn absolute_form_for_a_forward_proxy() {
        let mut buf = BytesMut::new();
        let uri: Uri = "http://user:pw@[::1]:8080/a/b?q=1".parse().unwrap();
        encode_head(&mut buf, &Method::GET, &uri, &HeaderMap::new(), Some(0), true).unwrap();
        assert_eq!(&buf[..], b"GET http://[::1]:8080/a/b?q=1 HTTP/1.1\r\nhost: [::1]:8080\r\n\r\n");
        buf.clear();
        let uri: Uri = "http://example.com".parse().unwrap();
        encode_head(&mut buf, &Method::OPTIONS, &uri, &HeaderMap::new(), None, true).unwrap();
        assert!(buf.starts_with(b"OPTIONS http://example.com/ HTTP/1.1\r\n"));
        buf.clear();
        let uri: Uri = "/relative".parse().unwrap();
        let err = encode_head(&mut buf, &Method::GET, &uri, &HeaderMap::new(), None, true).unwrap_err();
        assert!(matches!(err, SendError::InvalidUri(_)), "{err:?}");
    }
}
