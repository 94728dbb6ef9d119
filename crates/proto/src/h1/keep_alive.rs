//! Whether a connection persists after an exchange (RFC 9112 §9.3), and
//! the de-facto `Keep-Alive: timeout=N` hint.

use http::header::CONNECTION;
use http::{HeaderMap, Version};

use super::head_facts::HeadFacts;
use crate::field_list::{list_elements, parse_decimal, trim_ows};

/// Where the connection stands with respect to reuse (hyper's `KA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepAlive {
    /// Between exchanges, ready for the next request.
    Idle,
    /// An exchange is in flight and nothing so far rules out reuse.
    Busy,
    /// The connection closes once the current exchange (if any) is over.
    Disabled,
}

/// True when the `Connection` field lists the option `token` (RFC 9110
/// §7.6.1: connection options are case-insensitive tokens).
pub(crate) fn has_connection_option(headers: &HeaderMap, token: &str) -> bool {
    list_elements(headers, &CONNECTION).any(|o| o.eq_ignore_ascii_case(token.as_bytes()))
}

/// RFC 9112 §9.3, from the response side: the `close` option ends the
/// connection; otherwise HTTP/1.1 persists, and HTTP/1.0 persists only with
/// the `keep-alive` option (we are not a proxy, and we wish to honour it).
pub(crate) fn response_persists(version: Version, facts: &HeadFacts) -> bool {
    if facts.close {
        return false;
    }
    match version {
        Version::HTTP_10 => facts.keep_alive,
        _ => true,
    }
}

/// The seconds of one `timeout` parameter of a `Keep-Alive` field (`None`
/// for any other element): how long the server keeps an idle connection
/// open.
///
/// RFC 9112 does not define `Keep-Alive`; it is the HTTP/1.0 extension
/// described in RFC 2068 §19.7.1 and still sent by Apache httpd and others
/// (`Keep-Alive: timeout=5, max=100`). Parameters other than `timeout`
/// and values that are not whole seconds are ignored; when several
/// timeouts appear, the smallest is kept (`head_facts.rs`), since reusing
/// too late is the failure this hint exists to avoid (DESIGN.md §4, S18).
pub(crate) fn timeout_param(param: &[u8]) -> Option<u64> {
    let eq = param.iter().position(|&b| b == b'=')?;
    let (name, value) = param.split_at(eq);
    let value = trim_ows(value.get(1..)?);
    if !trim_ows(name).eq_ignore_ascii_case(b"timeout") {
        return None;
    }
    let value = match value {
        [b'"', inner @ .., b'"'] => inner,
        v => v,
    };
    parse_decimal(value)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn persists(version: Version, fields: &[(&str, &str)]) -> bool {
        response_persists(version, &HeadFacts::of_fields(fields))
    }

    #[test]
    fn http_1_1_persists_unless_close() {
        assert!(persists(Version::HTTP_11, &[]));
        assert!(persists(Version::HTTP_11, &[("connection", "keep-alive")]));
        assert!(!persists(Version::HTTP_11, &[("connection", "close")]));
        assert!(!persists(Version::HTTP_11, &[("connection", "Upgrade, CLOSE")]));
        assert!(!persists(Version::HTTP_11, &[("connection", "foo"), ("connection", "close")]));
    }

    #[test]
    fn http_1_0_persists_only_with_keep_alive() {
        assert!(!persists(Version::HTTP_10, &[]));
        assert!(persists(Version::HTTP_10, &[("connection", "Keep-Alive")]));
        assert!(!persists(Version::HTTP_10, &[("connection", "keep-alive, close")]));
    }

    #[test]
    fn keep_alive_timeout_parsing() {
        let t = |v: &str| HeadFacts::of_fields(&[("keep-alive", v)]).keep_alive_timeout;
        assert_eq!(t("timeout=5, max=100"), Some(Duration::from_secs(5)));
        assert_eq!(t("max=100, Timeout = 15"), Some(Duration::from_secs(15)));
        assert_eq!(t("timeout=\"7\""), Some(Duration::from_secs(7)));
        assert_eq!(t("timeout=5, timeout=2"), Some(Duration::from_secs(2)));
        assert_eq!(t("timeout=1.5"), None);
        assert_eq!(t("timeout="), None);
        assert_eq!(t("timeout"), None);
        assert_eq!(t("max=3"), None);
        assert_eq!(HeadFacts::of_fields(&[]).keep_alive_timeout, None);
    }
}
