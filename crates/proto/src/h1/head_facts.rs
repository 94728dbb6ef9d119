//! What a response head's fields say about its body's framing (RFC 9112
//! §6.3) and the connection's reuse (§9.3, `Keep-Alive: timeout`),
//! gathered field by field while the head is parsed.
//!
//! Deciding these from the finished `HeaderMap` took five lookups per
//! response (Transfer-Encoding, Content-Length twice, Connection,
//! Keep-Alive), each hashing a name, most of them for fields that are not
//! there: about 1,000 instructions of the 22,500 an HTTP/1.1 request costs
//! at 64 in flight (callgrind). Here each field's name is matched as it goes
//! into the map, by its length first.

use std::time::Duration;

use super::keep_alive::timeout_param;
use crate::content_length::ContentLength;
use crate::field_list::elements;

/// The framing and persistence facts of one response head.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct HeadFacts {
    /// Transfer-Encoding was sent; `Some(true)` when the last coding of
    /// all its lines is `chunked` (RFC 9112 §6.3 item 4).
    pub(crate) transfer_encoding: Option<bool>,
    content_length: ContentLength,
    /// The Connection field lists `close` (RFC 9110 §7.6.1: options are
    /// case-insensitive tokens).
    pub(crate) close: bool,
    /// The Connection field lists `keep-alive` (HTTP/1.0, RFC 9112 §9.3).
    pub(crate) keep_alive: bool,
    /// The smallest `timeout` of the Keep-Alive fields (see
    /// `keep_alive.rs`).
    pub(crate) keep_alive_timeout: Option<Duration>,
}

impl HeadFacts {
    /// Takes one field line: its name as sent (any case, RFC 9110 §5.1)
    /// and its value as it goes into the head's map (obs-fold replaced).
    pub(crate) fn note(&mut self, name: &[u8], value: &[u8]) {
        // By length first: most names are none of these, and are told so
        // without comparing a byte.
        let is = |known: &str| name.eq_ignore_ascii_case(known.as_bytes());
        match name.len() {
            14 if is("content-length") => self.content_length.add(value),
            17 if is("transfer-encoding") => {
                let last = elements(value).last().map(|c| c.eq_ignore_ascii_case(b"chunked"));
                // An empty line adds no coding: the last coding is still
                // the one an earlier line ended with.
                self.transfer_encoding = last.or(self.transfer_encoding).or(Some(false));
            }
            10 if is("connection") => {
                for option in elements(value) {
                    self.close |= option.eq_ignore_ascii_case(b"close");
                    self.keep_alive |= option.eq_ignore_ascii_case(b"keep-alive");
                }
            }
            10 if is("keep-alive") => {
                let timeouts = elements(value).filter_map(timeout_param).map(Duration::from_secs);
                self.keep_alive_timeout = timeouts.chain(self.keep_alive_timeout).min();
            }
            _ => {}
        }
    }

    /// `None` when no Content-Length was sent; `Some(None)` when one was,
    /// but not a single valid length (RFC 9112 §6.3 item 5).
    pub(crate) fn content_length(&self) -> Option<Option<u64>> {
        self.content_length.get().map(Result::ok)
    }

    /// The facts of a head already in a map, as `note` gathers them.
    #[cfg(test)]
    pub(crate) fn of(headers: &http::HeaderMap) -> Self {
        let mut facts = Self::default();
        for (name, value) in headers {
            facts.note(name.as_str().as_bytes(), value.as_bytes());
        }
        facts
    }

    /// The facts of a head with these fields (name, value), for tests.
    #[cfg(test)]
    pub(crate) fn of_fields(fields: &[(&str, &str)]) -> Self {
        let mut headers = http::HeaderMap::new();
        for (n, v) in fields {
            let name = http::HeaderName::from_bytes(n.as_bytes()).expect("a valid test name");
            headers.append(name, http::HeaderValue::from_str(v).expect("a valid test value"));
        }
        Self::of(&headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(fields: &[(&str, &str)]) -> HeadFacts {
        HeadFacts::of_fields(fields)
    }

    #[test]
    fn fields_that_say_nothing_leave_nothing() {
        assert_eq!(facts(&[("server", "nginx"), ("content-type", "text/plain")]), HeadFacts::default());
    }

    #[test]
    fn the_last_coding_of_the_last_line_decides() {
        let te = |f: &[(&str, &str)]| facts(f).transfer_encoding;
        assert_eq!(te(&[("transfer-encoding", "gzip, chunked")]), Some(true));
        assert_eq!(te(&[("transfer-encoding", "chunked, gzip")]), Some(false));
        assert_eq!(te(&[("transfer-encoding", "chunked"), ("transfer-encoding", "")]), Some(true));
        assert_eq!(te(&[("transfer-encoding", "chunked"), ("transfer-encoding", "br")]), Some(false));
        assert_eq!(te(&[("transfer-encoding", ",")]), Some(false));
        assert_eq!(te(&[]), None);
    }

    #[test]
    fn content_length_lines_go_to_one_reader() {
        // The rules themselves are content_length.rs's.
        let cl = |f: &[(&str, &str)]| facts(f).content_length();
        assert_eq!(cl(&[("content-length", "5, 5"), ("Content-Length", "5")]), Some(Some(5)));
        assert_eq!(cl(&[("content-length", "5"), ("content-length", "6")]), Some(None));
        assert_eq!(cl(&[]), None);
    }

    #[test]
    fn connection_options_and_keep_alive_timeouts_across_lines() {
        let f = facts(&[("connection", "Upgrade"), ("connection", "CLOSE, Keep-Alive")]);
        assert!(f.close && f.keep_alive);
        let f = facts(&[("keep-alive", "timeout=9, max=5"), ("keep-alive", "timeout=4")]);
        assert_eq!(f.keep_alive_timeout, Some(Duration::from_secs(4)));
        assert_eq!(facts(&[("keep-alive", "max=5")]).keep_alive_timeout, None);
    }
}
