//! What every server serves, so one set of checks fits them all.
//!
//! | route | method | response |
//! |---|---|---|
//! | [`PATH_SMALL`] | GET | [`pattern`]`(`[`SMALL`]`)` |
//! | [`PATH_LARGE`] | GET | [`pattern`]`(`[`LARGE`]`)` |
//! | [`PATH_ECHO`] | POST | the request body, byte for byte |
//! | [`PATH_TRAILERS`] | GET | [`pattern`]`(`[`SMALL`]`)` and the trailer [`TRAILER_NAME`]`: `[`TRAILER_VALUE`] |
//! | [`PATH_HEADERS`] | GET | a small body and [`BIG_HEADERS`] header fields `x-big-N` of [`BIG_HEADER_LEN`] bytes ([`big_header`]) |

use std::io;
use std::path::Path;

/// The small body: 100 bytes.
pub const SMALL: usize = 100;
/// The large body: 1 MiB.
pub const LARGE: usize = 1 << 20;
/// How many large header fields `/headers` sends.
pub const BIG_HEADERS: usize = 10;
/// The length of each large header value: 10 × 3,000 bytes is 30 KB of
/// fields, more than one 16 KiB HTTP/2 frame even after Huffman coding
/// (so CONTINUATION frames), under baton's 64 KiB limits, and each value
/// short enough for nginx's and Apache's config line limits.
pub const BIG_HEADER_LEN: usize = 3_000;
/// The trailer field `/trailers` ends with.
pub const TRAILER_NAME: &str = "x-interop-trailer";
/// Its value.
pub const TRAILER_VALUE: &str = "done";

/// The small static file.
pub const PATH_SMALL: &str = "/files/small";
/// The large static file.
pub const PATH_LARGE: &str = "/files/large";
/// The echo route.
pub const PATH_ECHO: &str = "/echo";
/// The small file with a trailer.
pub const PATH_TRAILERS: &str = "/trailers";
/// The response with large header fields.
pub const PATH_HEADERS: &str = "/headers";

/// The bytes of a served body of `len` bytes: `i % 251`, so a shifted or
/// truncated body never matches.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The bytes of an uploaded body of `len` bytes (different from
/// [`pattern`], so an echo cannot be confused with a static file).
pub fn upload(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + 3) % 256) as u8).collect()
}

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The `i`-th large header field: `("x-big-{i}", value)`, the value
/// [`BIG_HEADER_LEN`] letters and digits.
pub fn big_header(i: usize) -> (String, String) {
    let value = (0..BIG_HEADER_LEN).map(|j| char::from(ALPHABET[(i * 7 + j) % ALPHABET.len()])).collect();
    (format!("x-big-{i}"), value)
}

/// Writes `files/small`, `files/large` and `trailers` (a copy of the small
/// file) under `root`.
///
/// # Errors
/// When a file cannot be written.
pub fn write_static_files(root: &Path) -> io::Result<()> {
    std::fs::create_dir_all(root.join("files"))?;
    std::fs::write(root.join("files/small"), pattern(SMALL))?;
    std::fs::write(root.join("files/large"), pattern(LARGE))?;
    std::fs::write(root.join("trailers"), pattern(SMALL))?;
    std::fs::write(root.join("headers"), pattern(SMALL))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_differ_and_headers_are_token_safe() {
        assert_ne!(pattern(SMALL), upload(SMALL));
        let (name, value) = big_header(3);
        assert_eq!(name, "x-big-3");
        assert_eq!(value.len(), BIG_HEADER_LEN);
        assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(big_header(0).1, big_header(1).1);
    }
}
