//! The `Date` response field (RFC 9110 §6.6.1: an origin server with a clock
//! MUST send it in 2xx, 3xx and 4xx responses), as an IMF-fixdate (RFC 9110
//! §5.6.7) written by `httpdate`, at most once per second per thread.

use std::cell::Cell;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `Sun, 06 Nov 1994 08:49:37 GMT` is 29 bytes.
pub(super) const LEN: usize = 29;

thread_local! {
    static CACHE: Cell<(u64, [u8; LEN])> = const { Cell::new((u64::MAX, [0; LEN])) };
}

/// The current time as an IMF-fixdate.
pub(super) fn now() -> [u8; LEN] {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHE.with(|cache| {
        let (at, text) = cache.get();
        if at == secs {
            return text;
        }
        let text = format(secs);
        cache.set((secs, text));
        text
    })
}

/// Formats `secs` since the Unix epoch as an IMF-fixdate.
fn format(secs: u64) -> [u8; LEN] {
    let mut out = [b' '; LEN];
    // Every IMF-fixdate httpdate writes is LEN bytes (its years have four
    // digits), so the write fills `out` exactly.
    let _ = write!(&mut out[..], "{}", httpdate::HttpDate::from(UNIX_EPOCH + Duration::from_secs(secs)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(&format(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        // RFC 9110 §5.6.7's example.
        assert_eq!(&format(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&format(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(&format(4_102_444_799), b"Thu, 31 Dec 2099 23:59:59 GMT");
        assert_eq!(now().len(), LEN);
    }
}
