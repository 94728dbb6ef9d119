//! Response decompression (RFC 9110 §8.4): which codings the client
//! accepts ([`Accepts`], the builder's switches and the cargo features),
//! the `Accept-Encoding` it sends, and which responses it decodes, as
//! reqwest does: a response whose single `Content-Encoding` is one the
//! client accepts loses that header and its `Content-Length`, and its body
//! is decoded as it is read (`decoder.rs`, on async-compression).

mod builder;
#[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
mod decoder;

#[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
pub(crate) use decoder::Decoded;

use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, RANGE};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::response::Response;

/// The codings the client decodes: each on when its cargo feature is
/// compiled in, unless the builder turned it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Accepts {
    pub(crate) gzip: bool,
    pub(crate) deflate: bool,
    pub(crate) brotli: bool,
    pub(crate) zstd: bool,
}

impl Default for Accepts {
    /// What is compiled in (reqwest's default: a feature turns its coding
    /// on).
    fn default() -> Self {
        Self {
            gzip: cfg!(feature = "gzip"),
            deflate: cfg!(feature = "deflate"),
            brotli: cfg!(feature = "brotli"),
            zstd: cfg!(feature = "zstd"),
        }
    }
}

/// A coding the client can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coding {
    Gzip,
    Deflate,
    Brotli,
    Zstd,
}

impl Coding {
    #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
    /// Its name in `Content-Encoding` (RFC 9110 §8.4.1; brotli is RFC 7932's
    /// `br`, zstd RFC 8878's `zstd`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Deflate => "deflate",
            Self::Brotli => "br",
            Self::Zstd => "zstd",
        }
    }
}

impl Accepts {
    /// Nothing is decoded.
    pub(crate) fn none(self) -> bool {
        !(self.gzip || self.deflate || self.brotli || self.zstd)
    }

    /// The `Accept-Encoding` value for what is on, in reqwest's order; `None`
    /// when nothing is.
    pub(crate) fn header(self) -> Option<HeaderValue> {
        let names: Vec<&str> =
            [(self.gzip, "gzip"), (self.brotli, "br"), (self.zstd, "zstd"), (self.deflate, "deflate")]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
        if names.is_empty() { None } else { HeaderValue::from_str(&names.join(", ")).ok() }
    }

    /// The coding `value` names, when it is one that is on. `x-gzip` is
    /// gzip (RFC 9110 §8.4.1.3).
    fn coding(self, value: &HeaderValue) -> Option<Coding> {
        let name = value.to_str().ok()?.trim();
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        if self.gzip && (is("gzip") || is("x-gzip")) {
            Some(Coding::Gzip)
        } else if self.deflate && is("deflate") {
            Some(Coding::Deflate)
        } else if self.brotli && is("br") {
            Some(Coding::Brotli)
        } else if self.zstd && is("zstd") {
            Some(Coding::Zstd)
        } else {
            None
        }
    }
}

/// Asks for compressed responses: `Accept-Encoding: <value>`, unless the
/// request names its own codings, or asks for a `Range` (a range of the
/// compressed representation is not what the caller means, and reqwest
/// leaves such requests alone too).
pub(crate) fn ask(value: Option<&HeaderValue>, headers: &mut HeaderMap) {
    if let Some(value) = value {
        if !headers.contains_key(ACCEPT_ENCODING) && !headers.contains_key(RANGE) {
            headers.insert(ACCEPT_ENCODING, value.clone());
        }
    }
}

/// Decodes `response` as it is read when its one `Content-Encoding` is a
/// coding `accepts` has on; then removes `Content-Encoding` and
/// `Content-Length` (which describe the compressed bytes), as reqwest does.
/// Responses without a body are left as they are: to HEAD, 204, 304, or
/// with `Content-Length: 0`. Several codings stacked are not decoded.
pub(crate) fn decode(accepts: Accepts, method: &Method, response: &mut Response) {
    if accepts.none() {
        return;
    }
    let status = response.status();
    let (headers, body) = response.parts_mut();
    let mut values = headers.get_all(CONTENT_ENCODING).iter();
    let (Some(value), None) = (values.next(), values.next()) else { return };
    let Some(coding) = accepts.coding(value) else { return };
    let bodiless = *method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational()
        || headers.get(CONTENT_LENGTH).is_some_and(|v| v.as_bytes() == b"0");
    #[cfg(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd"))]
    if !bodiless {
        if let Some(wire) = body.take_wire() {
            *body = crate::incoming::Incoming::decoded(Decoded::new(coding, wire));
            headers.remove(CONTENT_ENCODING);
            headers.remove(CONTENT_LENGTH);
        }
    }
    // Without a decoder compiled in, `accepts` has nothing on.
    #[cfg(not(any(feature = "gzip", feature = "deflate", feature = "brotli", feature = "zstd")))]
    let _ = (coding, bodiless, body);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Accepts = Accepts { gzip: true, deflate: true, brotli: true, zstd: true };

    #[test]
    fn accept_encoding_names_what_is_on_in_reqwests_order() {
        assert_eq!(ALL.header().unwrap(), "gzip, br, zstd, deflate");
        let some = Accepts { gzip: false, deflate: true, brotli: false, zstd: true };
        assert_eq!(some.header().unwrap(), "zstd, deflate");
        let none = Accepts { gzip: false, deflate: false, brotli: false, zstd: false };
        assert!(none.header().is_none() && none.none());
    }

    #[test]
    fn the_callers_own_codings_or_a_range_are_left_alone() {
        let value = ALL.header();
        let mut headers = HeaderMap::new();
        ask(value.as_ref(), &mut headers);
        assert_eq!(headers[ACCEPT_ENCODING], "gzip, br, zstd, deflate");
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
        ask(value.as_ref(), &mut headers);
        assert_eq!(headers[ACCEPT_ENCODING], "identity");
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, HeaderValue::from_static("bytes=0-99"));
        ask(value.as_ref(), &mut headers);
        assert!(!headers.contains_key(ACCEPT_ENCODING));
    }

    #[test]
    fn codings_are_matched_case_insensitively_and_x_gzip_is_gzip() {
        let v = HeaderValue::from_static;
        assert_eq!(ALL.coding(&v("GZip")), Some(Coding::Gzip));
        assert_eq!(ALL.coding(&v("x-gzip")), Some(Coding::Gzip));
        assert_eq!(ALL.coding(&v(" br ")), Some(Coding::Brotli));
        assert_eq!(ALL.coding(&v("zstd")), Some(Coding::Zstd));
        assert_eq!(ALL.coding(&v("deflate")), Some(Coding::Deflate));
        assert_eq!(ALL.coding(&v("gzip, br")), None, "stacked codings are not decoded");
        assert_eq!(ALL.coding(&v("compress")), None);
        let no_gzip = Accepts { gzip: false, ..ALL };
        assert_eq!(no_gzip.coding(&v("gzip")), None);
    }
}
