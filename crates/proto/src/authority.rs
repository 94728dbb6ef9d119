//! The authority a request names its server by, as both protocols send it:
//! HTTP/1.1's `Host` (RFC 9112 §3.2) and HTTP/2's `:authority` (RFC 9113
//! §8.3.1) are the target URI's authority without its userinfo.

use http::uri::Authority;

/// `authority` without userinfo (RFC 9110 §4.2.4: userinfo is deprecated in
/// http and https URIs; RFC 9113 §8.3.1: `:authority` MUST NOT include it)
/// and without the `:` of an empty port (RFC 3986 §6.2.3). One search from
/// the end, where `Authority::host` and `port` together take several.
pub fn host_port(authority: &Authority) -> &str {
    let s = authority.as_str();
    let s = s.rsplit_once('@').map_or(s, |(_, host_port)| host_port);
    s.strip_suffix(':').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn userinfo_and_an_empty_port_are_dropped() {
        for (authority, expected) in [
            ("example.com", "example.com"),
            ("example.com:8080", "example.com:8080"),
            ("user:pw@example.com:8080", "example.com:8080"),
            ("a@b@example.com", "example.com"),
            ("example.com:", "example.com"),
            ("[::1]:99", "[::1]:99"),
            ("u@[::1]", "[::1]"),
        ] {
            assert_eq!(host_port(&authority.parse().unwrap()), expected, "{authority}");
        }
    }
}
