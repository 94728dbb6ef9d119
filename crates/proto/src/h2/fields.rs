//! HTTP semantics on top of HPACK field lists (RFC 9113 §8): building a
//! request's field list and checking a response's.

use bytes::BytesMut;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode, Uri};

use super::hpack::{Encoder, Header, HeaderRef};
use crate::content_length::ContentLength;
use crate::known_fields::KnownFields;

/// RFC 9113 §6.5.2: the size of a field list is the sum of each field's
/// name and value lengths plus 32.
pub(crate) const FIELD_OVERHEAD: usize = 32;

/// RFC 9113 §8.2.2: connection-specific fields must not appear in HTTP/2.
fn is_connection_specific(name: &[u8]) -> bool {
    matches!(name, b"connection" | b"keep-alive" | b"proxy-connection" | b"transfer-encoding" | b"upgrade")
}

/// A request head as handed to the connection.
pub(crate) struct RequestFields<'a> {
    pub(crate) method: &'a Method,
    pub(crate) scheme: &'a str,
    pub(crate) authority: &'a str,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
}

impl<'a> RequestFields<'a> {
    /// Takes the pseudo-header values from `uri` (RFC 9113 §8.3.1), falling
    /// back to a Host header for `:authority`.
    pub(crate) fn new(
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
    ) -> Result<Self, &'static str> {
        let scheme = uri.scheme_str().unwrap_or("https");
        let authority = match uri.authority() {
            Some(a) => crate::authority::host_port(a),
            None => match headers.get(http::header::HOST).map(|h| h.to_str()) {
                Some(Ok(host)) => host,
                Some(Err(_)) => return Err("Host header is not visible ASCII"),
                None => "",
            },
        };
        let path = uri.path_and_query().map_or("", |p| p.as_str());
        if *method == Method::CONNECT {
            // §8.5: CONNECT carries only :method and :authority.
            if authority.is_empty() {
                return Err("CONNECT needs an authority");
            }
        } else if path.is_empty() {
            // §8.3.1: :path must not be empty for http/https URIs; "/" or "*".
            return Err("request URI has no path");
        }
        Ok(Self { method, scheme, authority, path, headers })
    }

    /// The regular fields that are sent: connection-specific ones are
    /// dropped (§8.2.2), `te` only as "trailers", and Host is replaced by
    /// `:authority` (§8.3.1).
    fn regular(&self) -> impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)> + 'a {
        self.headers.iter().filter(|(name, value)| {
            let n = name.as_str().as_bytes();
            !(is_connection_specific(n)
                || *name == http::header::HOST
                || (*name == http::header::TE && value.as_bytes() != b"trailers"))
        })
    }

    fn pseudo(&self) -> [(&'static [u8], &'a [u8]); 4] {
        [
            (b":method", self.method.as_str().as_bytes()),
            (b":scheme", self.scheme.as_bytes()),
            (b":authority", self.authority.as_bytes()),
            (b":path", self.path.as_bytes()),
        ]
    }

    fn is_connect(&self) -> bool {
        *self.method == Method::CONNECT
    }

    /// The RFC 9113 §6.5.2 size of the list that [`Self::encode`] sends.
    pub(crate) fn list_size(&self) -> usize {
        let pseudo: usize = self
            .pseudo()
            .iter()
            .filter(|(n, v)| !self.skip_pseudo(n, v))
            .map(|(n, v)| n.len() + v.len() + FIELD_OVERHEAD)
            .sum();
        let regular: usize = self.regular().map(|(n, v)| n.as_str().len() + v.len() + FIELD_OVERHEAD).sum();
        pseudo + regular
    }

    fn skip_pseudo(&self, name: &[u8], value: &[u8]) -> bool {
        // CONNECT: no :scheme or :path (§8.5); an empty :authority is left
        // out (§8.3.1: it is optional when the target has none).
        (self.is_connect() && (name == b":scheme" || name == b":path"))
            || (name == b":authority" && value.is_empty())
    }

    /// HPACK-encodes the field block into `dst`: pseudo-headers first (§8.3).
    pub(crate) fn encode(&self, encoder: &mut Encoder, dst: &mut BytesMut) {
        let pseudo = self.pseudo();
        let pseudo = pseudo.iter().filter(|(n, v)| !self.skip_pseudo(n, v)).map(|&(name, value)| HeaderRef {
            name,
            value,
            sensitive: false,
        });
        let regular = self.regular().map(|(n, v)| HeaderRef {
            name: n.as_str().as_bytes(),
            value: v.as_bytes(),
            sensitive: v.is_sensitive(),
        });
        encoder.encode(pseudo.chain(regular), dst);
    }
}

/// Encodes trailers (no pseudo-headers, §8.1) and returns nothing: trailers
/// are checked for connection-specific fields by dropping them.
pub(crate) fn encode_trailers(trailers: &HeaderMap, encoder: &mut Encoder, dst: &mut BytesMut) {
    let fields =
        trailers.iter().filter(|(n, _)| !is_connection_specific(n.as_str().as_bytes())).map(|(n, v)| {
            HeaderRef { name: n.as_str().as_bytes(), value: v.as_bytes(), sensitive: v.is_sensitive() }
        });
    encoder.encode(fields, dst);
}

/// Collects a decoded response or trailer field block, checking it as it
/// goes (RFC 9113 §8.1.1, §8.2, §8.3.2). The first violation is kept and
/// the rest of the block is still consumed, so HPACK stays in sync.
#[derive(Debug, Default)]
pub(crate) struct ResponseFields {
    pub(crate) status: Option<StatusCode>,
    pub(crate) headers: HeaderMap,
    pub(crate) malformed: Option<&'static str>,
    /// Noted as the fields go into the map (no lookup afterwards).
    content_length: ContentLength,
    trailers: bool,
    saw_regular: bool,
}

impl ResponseFields {
    pub(crate) fn head() -> Self {
        // Room for a typical response head in one allocation, where the
        // map would otherwise grow (and rehash) twice.
        Self { headers: crate::spare_headers::take(12), ..Self::default() }
    }

    pub(crate) fn trailers() -> Self {
        Self { trailers: true, ..Self::default() }
    }

    fn fail(&mut self, why: &'static str) {
        if self.malformed.is_none() {
            self.malformed = Some(why);
        }
    }

    /// Takes one decoded field; `known` holds what this connection has
    /// checked before.
    pub(crate) fn push(&mut self, field: Header, known: &mut KnownFields) {
        if self.malformed.is_some() {
            return;
        }
        let name = &field.name[..];
        if name.first() == Some(&b':') {
            // §8.3: pseudo-headers come first; responses have only :status;
            // trailers have none.
            if self.trailers {
                return self.fail("pseudo-header field in trailers");
            }
            if self.saw_regular {
                return self.fail("pseudo-header field after a regular field");
            }
            if name != b":status" {
                return self.fail("unknown or request pseudo-header in a response");
            }
            if self.status.is_some() {
                return self.fail("duplicate :status");
            }
            match parse_status(&field.value) {
                Some(s) => self.status = Some(s),
                None => self.fail("invalid :status value"),
            }
            return;
        }
        self.saw_regular = true;
        // A name this connection has checked before (never a sensitive
        // field's: those are kept out of memory, as HPACK keeps them out of
        // its tables) skips the checks below (see `known_fields.rs`).
        let found = if field.sensitive { None } else { known.find(name) };
        let (hname, slot) = match found {
            Some((i, hname)) => (hname, Some(i)),
            None => {
                // §8.2.1: uppercase field names are malformed.
                if name.iter().any(u8::is_ascii_uppercase) {
                    return self.fail("uppercase character in a field name");
                }
                if is_connection_specific(name) {
                    return self.fail("connection-specific field");
                }
                let Ok(hname) = HeaderName::from_bytes(name) else {
                    return self.fail("invalid field name");
                };
                let slot = if field.sensitive { None } else { known.add(name, hname.clone()) };
                (hname, slot)
            }
        };
        // §8.2.2: `te` only as "trailers".
        if hname == http::header::TE && &field.value[..] != b"trailers" {
            return self.fail("connection-specific field");
        }
        // A value `known` hands out again passed the checks below when it
        // was first seen.
        let mut value = match known.kept(slot, &field.value) {
            Some(kept) => kept,
            None => {
                // §8.2.1: no leading or trailing whitespace in values.
                let v = &field.value[..];
                if v.first().is_some_and(|b| *b == b' ' || *b == b'\t')
                    || v.last().is_some_and(|b| *b == b' ' || *b == b'\t')
                {
                    return self.fail("field value with leading or trailing whitespace");
                }
                let Some(value) = known.value(slot, &field.value, || field.value.clone()) else {
                    return self.fail("invalid character in a field value");
                };
                value
            }
        };
        value.set_sensitive(field.sensitive);
        // Names are lowercase here (checked above, §8.2.1).
        if name == b"content-length" {
            self.content_length.add(value.as_bytes());
        }
        self.headers.append(hname, value);
    }

    /// Checks the end of a response head; returns the status.
    pub(crate) fn finish_head(&mut self) -> Result<StatusCode, &'static str> {
        if let Some(why) = self.malformed {
            return Err(why);
        }
        self.status.ok_or("missing :status")
    }

    /// RFC 9113 §8.1.1: the content-length, if any; several differing values
    /// are malformed.
    pub(crate) fn content_length(&self) -> Result<Option<u64>, &'static str> {
        self.content_length.get().transpose()
    }
}

fn parse_status(v: &[u8]) -> Option<StatusCode> {
    if v.len() != 3 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    StatusCode::from_bytes(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn field(n: &'static str, v: &'static str) -> Header {
        Header {
            name: Bytes::from_static(n.as_bytes()),
            value: Bytes::from_static(v.as_bytes()),
            sensitive: false,
        }
    }

    fn head(fields: &[(&'static str, &'static str)]) -> Result<StatusCode, &'static str> {
        let mut r = ResponseFields::head();
        let mut known = KnownFields::default();
        for (n, v) in fields {
            r.push(field(n, v), &mut known);
        }
        r.finish_head()
    }

    #[test]
    fn response_head_rules() {
        assert_eq!(head(&[(":status", "200"), ("a", "b")]), Ok(StatusCode::OK));
        assert_eq!(head(&[("a", "b")]), Err("missing :status"));
        assert_eq!(head(&[("a", "b"), (":status", "200")]), Err("pseudo-header field after a regular field"));
        assert_eq!(head(&[(":status", "200"), (":status", "200")]), Err("duplicate :status"));
        assert_eq!(head(&[(":status", "20")]), Err("invalid :status value"));
        assert_eq!(head(&[(":path", "/")]), Err("unknown or request pseudo-header in a response"));
        assert_eq!(head(&[(":status", "200"), ("Upper", "x")]), Err("uppercase character in a field name"));
        assert_eq!(head(&[(":status", "200"), ("connection", "close")]), Err("connection-specific field"));
        assert_eq!(head(&[(":status", "200"), ("te", "gzip")]), Err("connection-specific field"));
        assert_eq!(
            head(&[(":status", "200"), ("x", " y")]),
            Err("field value with leading or trailing whitespace")
        );
        assert_eq!(head(&[(":status", "200"), ("x", "a\nb")]), Err("invalid character in a field value"));
    }

    #[test]
    fn fields_known_from_earlier_responses_are_still_checked_and_current() {
        let known = &mut KnownFields::default();
        let next = |fields: &[(&'static str, &'static str)], known: &mut KnownFields| {
            let mut r = ResponseFields::head();
            for (n, v) in fields {
                r.push(field(n, v), known);
            }
            r.finish_head().map(|_| r.headers)
        };
        let first = next(&[(":status", "200"), ("etag", "\"a\""), ("x-id", "1")], known).unwrap();
        assert_eq!(first["etag"], "\"a\"");
        let second = next(&[(":status", "200"), ("etag", "\"a\""), ("x-id", "2")], known).unwrap();
        assert_eq!((&second["etag"], &second["x-id"]), (&first["etag"], &HeaderValue::from_static("2")));
        // A known name with a value that breaks the rules, or sent in
        // uppercase, is still malformed.
        assert_eq!(
            next(&[(":status", "200"), ("etag", " a")], known).err(),
            Some("field value with leading or trailing whitespace")
        );
        assert_eq!(
            next(&[(":status", "200"), ("etag", "a\0")], known).err(),
            Some("invalid character in a field value")
        );
        assert_eq!(
            next(&[(":status", "200"), ("ETag", "\"a\"")], known).err(),
            Some("uppercase character in a field name")
        );
        assert_eq!(next(&[(":status", "200"), ("te", "trailers")], known).map(|h| h.len()), Ok(1));
        assert_eq!(
            next(&[(":status", "200"), ("te", "gzip")], known).err(),
            Some("connection-specific field")
        );
        // A sensitive field is never kept, nor handed out as not sensitive.
        let mut r = ResponseFields::head();
        r.push(field(":status", "200"), known);
        r.push(Header { sensitive: true, ..field("etag", "\"a\"") }, known);
        assert!(r.headers["etag"].is_sensitive());
    }

    #[test]
    fn trailers_have_no_pseudo_headers() {
        let mut r = ResponseFields::trailers();
        r.push(field(":status", "200"), &mut KnownFields::default());
        assert_eq!(r.malformed, Some("pseudo-header field in trailers"));
    }

    #[test]
    fn content_length_rules() {
        let mut r = ResponseFields::head();
        let known = &mut KnownFields::default();
        r.push(field(":status", "200"), known);
        r.push(field("content-length", "10"), known);
        r.push(field("content-length", "10, 10"), known);
        assert_eq!(r.content_length(), Ok(Some(10)));
        r.push(field("content-length", "11"), known);
        assert_eq!(r.content_length(), Err("conflicting content-length values"));
    }

    #[test]
    fn request_drops_connection_specific_fields() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("keep-alive"));
        h.insert("te", HeaderValue::from_static("gzip"));
        h.insert("host", HeaderValue::from_static("example.com"));
        h.insert("x-a", HeaderValue::from_static("1"));
        let uri: Uri = "/p?q".parse().unwrap();
        let f = RequestFields::new(&Method::GET, &uri, &h).unwrap();
        assert_eq!(f.authority, "example.com");
        let names: Vec<_> = f.regular().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["x-a"]);
        assert_eq!(f.list_size(), 7 + 3 + 32 + 7 + 5 + 32 + 10 + 11 + 32 + 5 + 4 + 32 + 3 + 1 + 32);
    }

    #[test]
    fn authority_leaves_userinfo_out() {
        // RFC 9113 §8.3.1: ":authority MUST NOT include the deprecated
        // userinfo subcomponent for "http" or "https" schemed URIs".
        let uri: Uri = "https://user:secret@example.com:8443/p".parse().unwrap();
        let headers = HeaderMap::new();
        let f = RequestFields::new(&Method::GET, &uri, &headers).unwrap();
        assert_eq!(f.authority, "example.com:8443");
    }
}
