//! How long a response body is: RFC 9112 §6.3, applied in its order.

use http::{StatusCode, Version};

use super::error::ResponseError;
use super::head_facts::HeadFacts;
use super::response::ResponseHead;

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body: a response to HEAD, or a 1xx, 204 or 304 (item 1 and 2).
    Empty,
    /// Exactly this many bytes (Content-Length, item 6).
    Length(u64),
    /// The chunked transfer coding (item 4, RFC 9112 §7.1).
    Chunked,
    /// Everything until the server closes the connection (items 4 and 8).
    /// The connection cannot be reused afterwards.
    CloseDelimited,
}

/// The framing of one response, and whether it forbids reusing the
/// connection however the rest goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Framing {
    pub(crate) kind: BodyKind,
    /// RFC 9112 §6.3 item 3 (Transfer-Encoding with Content-Length) and
    /// §6.1 (Transfer-Encoding in HTTP/1.0): the framing is suspect, so the
    /// connection closes after this response.
    pub(crate) suspect: bool,
}

/// Decides the body framing of a final response head from its `facts`.
/// `head_request` is true when the request method was HEAD.
///
/// # Errors
/// [`ResponseError::InvalidContentLength`] for RFC 9112 §6.3 item 5.
pub(crate) fn response_framing(
    head: &ResponseHead,
    facts: &HeadFacts,
    head_request: bool,
) -> Result<Framing, ResponseError> {
    let plain = |kind| Ok(Framing { kind, suspect: false });
    // Item 1: HEAD responses and 1xx, 204 and 304 end after the header
    // section, whatever fields they carry. (Item 2, 2xx to CONNECT, cannot
    // happen: we do not send CONNECT.)
    if head_request
        || head.status.is_informational()
        || head.status == StatusCode::NO_CONTENT
        || head.status == StatusCode::NOT_MODIFIED
    {
        return plain(BodyKind::Empty);
    }
    if let Some(chunked) = facts.transfer_encoding {
        // Item 3: Transfer-Encoding overrides Content-Length, but the pair
        // "ought to be handled as an error" (smuggling); we read this
        // response by Transfer-Encoding and never reuse the connection.
        let both = facts.content_length().is_some();
        // §6.1: "A server or client that receives an HTTP/1.0 message
        // containing a Transfer-Encoding header field MUST treat the message
        // as if the framing is faulty, even if a Content-Length is present,
        // and close the connection after processing the message." Neither
        // field is trusted then; reading to the close is what remains.
        if head.version == Version::HTTP_10 {
            return Ok(Framing { kind: BodyKind::CloseDelimited, suspect: true });
        }
        // Item 4: chunked as the final coding delimits the body; any other
        // final coding means reading until the server closes.
        let kind = if chunked { BodyKind::Chunked } else { BodyKind::CloseDelimited };
        return Ok(Framing { kind, suspect: both });
    }
    match facts.content_length() {
        // Item 5: Content-Length may repeat only with the same valid value.
        Some(length) => plain(BodyKind::Length(length.ok_or(ResponseError::InvalidContentLength)?)),
        // Item 8: a response with neither field is delimited by the close.
        None => plain(BodyKind::CloseDelimited),
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    fn head(version: Version, status: u16, fields: &[(&str, &str)]) -> ResponseHead {
        let mut headers = HeaderMap::new();
        for (n, v) in fields {
            headers.append(HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        ResponseHead {
            version,
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            reason: bytes::Bytes::new(),
        }
    }

    fn framing(h: &ResponseHead, head_request: bool) -> Result<Framing, ResponseError> {
        response_framing(h, &HeadFacts::of(&h.headers), head_request)
    }

    fn kind(status: u16, fields: &[(&str, &str)]) -> Result<Framing, ResponseError> {
        framing(&head(Version::HTTP_11, status, fields), false)
    }

    fn plain(kind: BodyKind) -> Result<Framing, ResponseError> {
        Ok(Framing { kind, suspect: false })
    }

    #[test]
    fn item_1_no_body_statuses_and_head() {
        for status in [100, 103, 204, 304] {
            assert_eq!(kind(status, &[("content-length", "10")]), plain(BodyKind::Empty), "{status}");
        }
        assert_eq!(kind(204, &[("transfer-encoding", "chunked")]), plain(BodyKind::Empty));
        let h = head(Version::HTTP_11, 200, &[("content-length", "10")]);
        assert_eq!(framing(&h, true), plain(BodyKind::Empty));
    }

    #[test]
    fn item_4_transfer_encoding() {
        assert_eq!(kind(200, &[("transfer-encoding", "chunked")]), plain(BodyKind::Chunked));
        assert_eq!(kind(200, &[("transfer-encoding", "gzip, CHUNKED ")]), plain(BodyKind::Chunked));
        assert_eq!(
            kind(200, &[("transfer-encoding", "gzip"), ("transfer-encoding", "chunked")]),
            plain(BodyKind::Chunked)
        );
        assert_eq!(kind(200, &[("transfer-encoding", "chunked, gzip")]), plain(BodyKind::CloseDelimited));
        assert_eq!(kind(200, &[("transfer-encoding", "gzip")]), plain(BodyKind::CloseDelimited));
        assert_eq!(kind(200, &[("transfer-encoding", "")]), plain(BodyKind::CloseDelimited));
    }

    #[test]
    fn item_3_te_and_cl_is_suspect_and_te_wins() {
        let f = kind(200, &[("transfer-encoding", "chunked"), ("content-length", "5")]).unwrap();
        assert_eq!(f, Framing { kind: BodyKind::Chunked, suspect: true });
        // Even an invalid Content-Length is overridden.
        let f = kind(200, &[("content-length", "nope"), ("transfer-encoding", "chunked")]).unwrap();
        assert_eq!(f, Framing { kind: BodyKind::Chunked, suspect: true });
    }

    #[test]
    fn http_1_0_with_transfer_encoding_is_faulty() {
        let h = head(Version::HTTP_10, 200, &[("transfer-encoding", "chunked"), ("content-length", "3")]);
        assert_eq!(framing(&h, false), Ok(Framing { kind: BodyKind::CloseDelimited, suspect: true }));
    }

    #[test]
    fn item_5_content_length() {
        assert_eq!(kind(200, &[("content-length", "0")]), plain(BodyKind::Length(0)));
        assert_eq!(kind(200, &[("content-length", "42")]), plain(BodyKind::Length(42)));
        assert_eq!(kind(200, &[("content-length", "42, 42")]), plain(BodyKind::Length(42)));
        assert_eq!(
            kind(200, &[("content-length", "7"), ("content-length", "7")]),
            plain(BodyKind::Length(7))
        );
        assert_eq!(
            kind(200, &[("content-length", "18446744073709551615")]),
            plain(BodyKind::Length(u64::MAX))
        );
        for bad in ["", "-1", "+1", "1 2", "0x10", "42, 43", "18446744073709551616", ","] {
            assert_eq!(
                kind(200, &[("content-length", bad)]),
                Err(ResponseError::InvalidContentLength),
                "{bad:?}"
            );
        }
        assert_eq!(
            kind(200, &[("content-length", "1"), ("content-length", "2")]),
            Err(ResponseError::InvalidContentLength)
        );
    }

    #[test]
    fn item_8_close_delimited() {
        assert_eq!(kind(200, &[]), plain(BodyKind::CloseDelimited));
        let h = head(Version::HTTP_10, 200, &[]);
        assert_eq!(framing(&h, false), plain(BodyKind::CloseDelimited));
    }
}
