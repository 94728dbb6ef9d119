//! Response heads (RFC 9112 §4, §6, §7.1.2): the status line, the plan's
//! fields, the framing and connection fields, and the chunked trailer
//! section, encoded into the connection's output buffer.

use std::io::Write;

use http::header::{CONNECTION, CONTENT_LENGTH, TRAILER, TRANSFER_ENCODING};
use http::{HeaderMap, StatusCode};

use super::date;
use crate::routes::PlanBody;

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyFraming {
    /// No body and no length: 1xx, 204 and 304 (RFC 9110 §6.4.1, §8.6).
    None,
    /// `Content-Length`.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Delimited by closing the connection (HTTP/1.0 clients only).
    Close,
}

/// The framing for a response; chunked when the body is paced or has
/// trailers, except to HTTP/1.0 clients, which cannot receive chunked
/// (RFC 9112 §6.1) and get a length or a close-delimited body (§6.3 ¶8).
pub(super) fn framing(status: StatusCode, body: &PlanBody, trailers: bool, http10: bool) -> BodyFraming {
    if status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED {
        return BodyFraming::None;
    }
    let paced = matches!(body, PlanBody::Paced { .. });
    match (paced, trailers, http10) {
        (true, _, true) => BodyFraming::Close,
        (true, _, false) | (false, true, false) => BodyFraming::Chunked,
        (false, _, _) => BodyFraming::Length(body.len()),
    }
}

/// A response head to encode.
#[derive(Debug)]
pub(super) struct Head<'a> {
    /// Status code.
    pub(super) status: StatusCode,
    /// The plan's header fields (framing and connection fields in it are
    /// ignored: they are this module's business).
    pub(super) fields: &'a HeaderMap,
    /// Body framing.
    pub(super) framing: BodyFraming,
    /// Trailer fields to announce with `Trailer` (RFC 9110 §6.6.2).
    pub(super) trailers: Option<&'a HeaderMap>,
    /// A `Connection` option: `close` or `keep-alive`.
    pub(super) connection: Option<&'static str>,
}

/// Appends the head; the response is always HTTP/1.1 (RFC 9110 §2.5: the
/// highest minor version we conform to, whatever the request's).
pub(super) fn encode_head(out: &mut Vec<u8>, head: &Head<'_>) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(head.status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(head.status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\ndate: ");
    out.extend_from_slice(&date::now());
    out.extend_from_slice(b"\r\n");
    for (name, value) in head.fields {
        if ![CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION, TRAILER].contains(name) {
            field(out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    match head.framing {
        BodyFraming::Length(len) => {
            let _ = write!(out, "content-length: {len}\r\n");
        }
        BodyFraming::Chunked => {
            out.extend_from_slice(b"transfer-encoding: chunked\r\n");
            if let Some(trailers) = head.trailers.filter(|t| !t.is_empty()) {
                out.extend_from_slice(b"trailer: ");
                for (i, name) in trailers.keys().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    out.extend_from_slice(name.as_str().as_bytes());
                }
                out.extend_from_slice(b"\r\n");
            }
        }
        BodyFraming::None | BodyFraming::Close => {}
    }
    if let Some(option) = head.connection {
        field(out, b"connection", option.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a chunk-size line (RFC 9112 §7.1).
pub(super) fn chunk_size(out: &mut Vec<u8>, len: usize) {
    let _ = write!(out, "{len:x}\r\n");
}

/// Appends the last chunk and the trailer section (RFC 9112 §7.1.2).
pub(super) fn last_chunk(out: &mut Vec<u8>, trailers: Option<&HeaderMap>) {
    out.extend_from_slice(b"0\r\n");
    for (name, value) in trailers.into_iter().flatten() {
        field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// A simple response with no body, for rejected requests.
pub(super) fn encode_error(out: &mut Vec<u8>, status: StatusCode) {
    let fields = HeaderMap::new();
    let head = Head {
        status,
        fields: &fields,
        framing: BodyFraming::Length(0),
        trailers: None,
        connection: Some("close"),
    };
    encode_head(out, &head);
}

fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use http::HeaderValue;

    use super::*;

    fn encode(head: &Head<'_>) -> String {
        let mut out = Vec::new();
        encode_head(&mut out, head);
        let text = String::from_utf8(out).unwrap();
        // Drop the date line, checked separately.
        let (first, rest) = text.split_once("\r\n").unwrap();
        let (date, rest) = rest.split_once("\r\n").unwrap();
        assert!(date.starts_with("date: ") && date.ends_with(" GMT"), "{date}");
        format!("{first}\r\n{rest}")
    }

    #[test]
    fn framing_follows_status_body_and_version() {
        let full = PlanBody::Full(Bytes::from_static(b"abc"));
        let paced = PlanBody::Paced { chunk: Bytes::from_static(b"a"), count: 3, interval: Duration::ZERO };
        assert_eq!(framing(StatusCode::OK, &full, false, false), BodyFraming::Length(3));
        assert_eq!(framing(StatusCode::OK, &full, true, false), BodyFraming::Chunked);
        assert_eq!(framing(StatusCode::OK, &full, true, true), BodyFraming::Length(3));
        assert_eq!(framing(StatusCode::OK, &paced, false, false), BodyFraming::Chunked);
        assert_eq!(framing(StatusCode::OK, &paced, false, true), BodyFraming::Close);
        assert_eq!(framing(StatusCode::NO_CONTENT, &full, false, false), BodyFraming::None);
        assert_eq!(framing(StatusCode::NOT_MODIFIED, &full, true, false), BodyFraming::None);
    }

    #[test]
    fn heads_are_encoded() {
        let mut fields = HeaderMap::new();
        fields.insert("x-a", HeaderValue::from_static("1"));
        fields.insert("content-length", HeaderValue::from_static("999"));
        let head = Head {
            status: StatusCode::OK,
            fields: &fields,
            framing: BodyFraming::Length(3),
            trailers: None,
            connection: None,
        };
        assert_eq!(encode(&head), "HTTP/1.1 200 OK\r\nx-a: 1\r\ncontent-length: 3\r\n\r\n");
        let mut trailers = HeaderMap::new();
        trailers.insert("x-sum", HeaderValue::from_static("9"));
        trailers.insert("x-b", HeaderValue::from_static("2"));
        let head = Head {
            status: StatusCode::OK,
            fields: &HeaderMap::new(),
            framing: BodyFraming::Chunked,
            trailers: Some(&trailers),
            connection: Some("close"),
        };
        assert_eq!(
            encode(&head),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-sum, x-b\r\nconnection: close\r\n\r\n"
        );
        let mut out = Vec::new();
        last_chunk(&mut out, Some(&trailers));
        assert_eq!(out, b"0\r\nx-sum: 9\r\nx-b: 2\r\n\r\n");
    }

    #[test]
    fn no_content_has_no_length() {
        let head = Head {
            status: StatusCode::NO_CONTENT,
            fields: &HeaderMap::new(),
            framing: BodyFraming::None,
            trailers: None,
            connection: None,
        };
        assert_eq!(encode(&head), "HTTP/1.1 204 No Content\r\n\r\n");
        let status = StatusCode::from_u16(599).unwrap();
        let head = Head {
            status,
            fields: &HeaderMap::new(),
            framing: BodyFraming::Length(0),
            trailers: None,
            connection: None,
        };
        assert_eq!(encode(&head), "HTTP/1.1 599 \r\ncontent-length: 0\r\n\r\n");
    }
}
