//! Comma-separated field values (RFC 9110 §5.6.1) and decimal numbers in
//! them, as HTTP/1.1 and HTTP/2 read Content-Length, Connection,
//! Transfer-Encoding and Keep-Alive.

use http::{HeaderMap, HeaderName};

/// `1*DIGIT` (RFC 9110 §8.6) as a u64; no sign, no spaces, no overflow.
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &b| {
        let d = char::from(b).to_digit(10)?;
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// The elements of a comma-separated field (RFC 9110 §5.6.1) across every
/// field line named `name`, trimmed of OWS, empty elements skipped.
/// Quoted strings are not interpreted: the lists read here hold tokens and
/// numbers.
pub(crate) fn list_elements<'a>(
    headers: &'a HeaderMap,
    name: &HeaderName,
) -> impl DoubleEndedIterator<Item = &'a [u8]> + 'a {
    headers.get_all(name).into_iter().flat_map(|v| elements(v.as_bytes()))
}

/// The elements of one field line's comma-separated value, as
/// [`list_elements`] reads them.
pub(crate) fn elements(value: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    value.split(|&b| b == b',').map(trim_ows).filter(|e| !e.is_empty())
}

/// Strips optional whitespace (SP / HTAB, RFC 9110 §5.6.3) from both ends.
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_ows() {
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }

    #[test]
    fn empty_elements_are_skipped() {
        let all: Vec<&[u8]> = elements(b" a ,, b,\t,").collect();
        assert_eq!(all, [&b"a"[..], &b"b"[..]]);
    }

    #[test]
    fn decimals_have_digits_only_and_fit() {
        assert_eq!(parse_decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
        for bad in [&b""[..], b"-1", b"+1", b"1 ", b"0x1"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }
}
