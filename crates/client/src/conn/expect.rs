//! `Expect: 100-continue` (RFC 9110 §10.1.1): a request that carries it
//! sends its head, then holds its body until the server answers with
//! `100 (Continue)` or a final status, or until the wait has passed
//! without either ("a client SHOULD NOT wait for an indefinite period
//! before sending the content": servers and intermediaries that ignore the
//! expectation never answer it). Over HTTP/2 the engine holds the body, on
//! its own timer (`baton_proto::h2::Connection::hold_body`, with
//! `Config::continue_wait`); the HTTP/1.1 exchange holds it itself for
//! [`CONTINUE_WAIT`]. What a final status does to a held body is each
//! protocol's rule.

use std::time::Duration;

use http::HeaderMap;

/// How long an HTTP/1.1 held body waits for the server's answer: one
/// second, as curl waits by default (HTTP/2's `Config::continue_wait` has
/// the same default).
pub(crate) const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// Whether the request's header section asks for `100 (Continue)`: an
/// `Expect` field with a `100-continue` member, compared without regard to
/// case (RFC 9110 §10.1.1).
pub(crate) fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::EXPECT)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .any(|member| member.trim_ascii().eq_ignore_ascii_case(b"100-continue"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(http::header::EXPECT, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_expectation_is_found_in_any_case_and_in_a_list() {
        assert!(expects_continue(&with(&["100-continue"])));
        assert!(expects_continue(&with(&["100-Continue"])));
        assert!(expects_continue(&with(&["foo, 100-continue "])));
        assert!(expects_continue(&with(&["foo", "100-CONTINUE"])));
        assert!(!expects_continue(&with(&[])));
        assert!(!expects_continue(&with(&["100-continued"])));
        assert!(!expects_continue(&with(&["foo"])));
    }
}
