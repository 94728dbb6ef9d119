//! Where requests go: an [`Origin`] (scheme, host, port; RFC 9110 §4.3.2)
//! is the key the pool keeps connections under, taken from each request's
//! URI before any I/O.

use std::fmt;

use http::Uri;

use crate::error::Error;

/// Where requests go: scheme, host and port (RFC 9110 §4.3.2's origin).
///
/// It keeps the request URI's authority, shared, rather than a copy of its
/// host: taking a request's origin allocates nothing.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) tls: bool,
    authority: http::uri::Authority,
    /// Where the host is in `authority` (without userinfo, port, or an
    /// IPv6 literal's brackets): found once, as it is compared and hashed
    /// on every request's way through the pool.
    host: std::ops::Range<usize>,
    pub(crate) port: u16,
}

impl Origin {
    /// The origin of an absolute `http` or `https` URI.
    pub(crate) fn of(uri: &Uri) -> Result<Self, Error> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(other) => return Err(Error::builder(format!("unsupported URL scheme {other:?} in {uri}"))),
            None => return Err(Error::builder(format!("URL {uri} has no scheme (http:// or https://)"))),
        };
        let no_host = || Error::builder(format!("URL {uri} has no host"));
        let authority = uri.authority().ok_or_else(no_host)?;
        let (host, port, upper) = split(authority.as_str(), tls).ok_or_else(no_host)?;
        let port = port.ok_or_else(|| {
            Error::builder(format!("URL {uri} has an invalid port (a number from 1 to 65535)"))
        })?;
        if upper {
            // RFC 9110 §4.2.3: the host is case-insensitive, so
            // `Example.COM` is `example.com`'s origin. Rare: a lowercase
            // copy of the host (a valid authority on its own) stands in.
            let text = authority.as_str().get(host.clone()).ok_or_else(no_host)?;
            let lower = if authority.as_str().as_bytes().get(host.start.wrapping_sub(1)) == Some(&b'[') {
                format!("[{}]", text.to_ascii_lowercase())
            } else {
                text.to_ascii_lowercase()
            };
            let lower = http::uri::Authority::try_from(lower).map_err(|_| no_host())?;
            let (host, _, _) = split(lower.as_str(), tls).ok_or_else(no_host)?;
            return Ok(Self { tls, authority: lower, host, port });
        }
        Ok(Self { tls, authority: authority.clone(), host, port })
    }

    /// The host, without an IPv6 literal's brackets.
    pub(crate) fn host(&self) -> &str {
        self.authority.as_str().get(self.host.clone()).unwrap_or_default()
    }
}

/// An authority (`http::uri::Authority` has checked its syntax) taken
/// apart in one pass, where `Authority::host` and `port` each search it
/// again: where its host is, without userinfo or an IPv6 literal's
/// brackets (`None` when that leaves nothing); its port, or the scheme's
/// default when it names none (RFC 3986 §3.2.3: an empty port, as in
/// `host:`, is the default too), `None` inside for one that is not a port
/// number (`Authority::port_u16` reads `:99999` and `:abc` as no port at
/// all, which would send the request to port 80); and whether the host has
/// an uppercase letter.
#[allow(clippy::type_complexity)]
fn split(authority: &str, tls: bool) -> Option<(std::ops::Range<usize>, Option<u16>, bool)> {
    let bytes = authority.as_bytes();
    // After the userinfo, if any (the last `@`: RFC 3986 §3.2.1).
    let start = bytes.iter().rposition(|&b| b == b'@').map_or(0, |at| at + 1);
    let rest = &bytes[start..];
    let (host, after) = if rest.first() == Some(&b'[') {
        let close = rest.iter().position(|&b| b == b']')?;
        (start + 1..start + close, start + close + 1)
    } else {
        let end = rest.iter().position(|&b| b == b':').unwrap_or(rest.len());
        (start..start + end, start + end)
    };
    if host.is_empty() {
        return None;
    }
    let port = match bytes.get(after..).unwrap_or_default() {
        [] | [b':'] => Some(if tls { 443 } else { 80 }),
        [b':', digits @ ..] => port_number(digits),
        _ => None,
    };
    let upper = bytes[host.clone()].iter().any(u8::is_ascii_uppercase);
    Some((host, port, upper))
}

/// A port's digits as a number from 1 to 65535 (at most five digits, as
/// `u16::from_str` would take, without its UTF-8 check).
fn port_number(digits: &[u8]) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(d - b'0');
    }
    u16::try_from(n).ok().filter(|&p| p != 0)
}

impl PartialEq for Origin {
    fn eq(&self, other: &Self) -> bool {
        (self.tls, self.host(), self.port) == (other.tls, other.host(), other.port)
    }
}

impl Eq for Origin {}

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Two writes, not a tuple's four: the pool hashes an origin for
        // every request. The host's bytes, then a fixed-width word: no two
        // origins give the same sequence.
        state.write(self.host().as_bytes());
        state.write_u32(u32::from(self.port) << 1 | u32::from(self.tls));
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host(), self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_before_any_io() {
        let o = Origin::of(&"https://example.com/x".parse().unwrap()).unwrap();
        assert_eq!((o.tls, o.host(), o.port), (true, "example.com", 443));
        let o = Origin::of(&"http://[::1]:8080/".parse().unwrap()).unwrap();
        assert_eq!((o.tls, o.host(), o.port), (false, "::1", 8080));
        let o = Origin::of(&"https://u@WWW.Example.com:8443/".parse().unwrap()).unwrap();
        assert_eq!((o.tls, o.host(), o.port), (true, "www.example.com", 8443));
        let o = Origin::of(&"http://[FE80::1]/".parse().unwrap()).unwrap();
        assert_eq!((o.host(), o.port), ("fe80::1", 80));
        assert!(Origin::of(&"ftp://example.com/".parse().unwrap()).unwrap_err().is_builder());
        for bad in ["http://127.0.0.1:99999/", "http://h:65536/", "http://h:abc/", "https://u@h:0/"] {
            let uri = bad.parse().unwrap();
            assert!(Origin::of(&uri).unwrap_err().is_builder(), "{bad}");
        }
        let o = Origin::of(&"http://h:/".parse().unwrap()).unwrap();
        assert_eq!(o.port, 80, "an empty port is the default");
        let o = Origin::of(&"https://u:p@[::1]:8443/".parse().unwrap()).unwrap();
        assert_eq!((o.host(), o.port), ("::1", 8443));
        assert!(Origin::of(&"/relative".parse().unwrap()).unwrap_err().is_builder());
    }

    #[test]
    fn one_origin_however_its_authority_is_written() {
        let of = |u: &str| Origin::of(&u.parse().unwrap()).unwrap();
        let mut pools = std::collections::HashMap::new();
        pools.insert(of("http://example.com/a"), 1);
        for same in ["http://example.com:80/b", "http://user@example.com/c", "http://Example.COM/d"] {
            assert_eq!(of(same), of("http://example.com/a"), "{same}");
            assert_eq!(pools.get(&of(same)), Some(&1), "{same}");
        }
        for other in ["https://example.com/", "http://example.com:8080/", "http://example.org/"] {
            assert_ne!(of(other), of("http://example.com/a"), "{other}");
            assert_eq!(pools.get(&of(other)), None, "{other}");
        }
    }
}
