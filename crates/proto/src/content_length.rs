//! A response's Content-Length (RFC 9110 §8.6), read line by line as its
//! fields are parsed, for HTTP/1.1 and HTTP/2 alike. It may repeat, as
//! field lines or as a comma-separated list, only with one valid value
//! each time: RFC 9112 §6.3 item 5 makes anything else an unrecoverable
//! framing error, RFC 9113 §8.1.1 a malformed response.

use crate::field_list::{elements, parse_decimal};

/// Content-Length as the field lines read so far have it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ContentLength {
    /// Not sent.
    #[default]
    Absent,
    /// Sent, with no element yet: an empty value alone is invalid.
    Empty,
    Valid(u64),
    /// An element that is not a decimal length (or does not fit a u64).
    Invalid,
    /// Two valid lengths that differ.
    Conflicting,
}

impl ContentLength {
    /// Takes the value of one Content-Length field line.
    pub(crate) fn add(&mut self, value: &[u8]) {
        if *self == Self::Absent {
            *self = Self::Empty;
        }
        for element in elements(value) {
            *self = match (*self, parse_decimal(element)) {
                (Self::Invalid | Self::Conflicting, _) => return,
                (_, None) => Self::Invalid,
                (Self::Valid(v), Some(n)) if v != n => Self::Conflicting,
                (_, Some(n)) => Self::Valid(n),
            };
        }
    }

    /// `None` when none was sent; the length, or why there is none.
    pub(crate) fn get(self) -> Option<Result<u64, &'static str>> {
        match self {
            Self::Absent => None,
            Self::Valid(n) => Some(Ok(n)),
            Self::Empty | Self::Invalid => Some(Err("invalid content-length")),
            Self::Conflicting => Some(Err("conflicting content-length values")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(lines: &[&str]) -> Option<Result<u64, &'static str>> {
        let mut cl = ContentLength::default();
        for line in lines {
            cl.add(line.as_bytes());
        }
        cl.get()
    }

    #[test]
    fn one_value_however_often_it_is_repeated() {
        assert_eq!(of(&[]), None);
        assert_eq!(of(&["0"]), Some(Ok(0)));
        assert_eq!(of(&["42, 42", "42"]), Some(Ok(42)));
        assert_eq!(of(&["7,", " 7"]), Some(Ok(7)), "empty elements are skipped (RFC 9110 §5.6.1)");
        assert_eq!(of(&["18446744073709551615"]), Some(Ok(u64::MAX)));
    }

    #[test]
    fn anything_else_is_an_error_whatever_follows() {
        for bad in ["", ",", "-1", "+1", "1 2", "0x10", "18446744073709551616"] {
            assert_eq!(of(&[bad]), Some(Err("invalid content-length")), "{bad:?}");
        }
        assert_eq!(of(&["1", "2"]), Some(Err("conflicting content-length values")));
        assert_eq!(of(&["1, 2"]), Some(Err("conflicting content-length values")));
        assert_eq!(of(&["x", "5"]), Some(Err("invalid content-length")));
        assert_eq!(of(&["5", "6", "5"]), Some(Err("conflicting content-length values")));
    }
}
