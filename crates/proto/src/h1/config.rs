//! Limits the HTTP/1.1 engine enforces against a misbehaving server, with
//! the reason for each default.

/// Limits for one HTTP/1.1 client connection. Every limit, when exceeded,
/// ends the exchange with its own [`ResponseError`](super::ResponseError);
/// none of them is a panic, and no input makes memory grow past them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Bytes of a response head (status line and header fields, final empty
    /// line included). RFC 9112 §2.3 sets no limit; 64 KiB is above what
    /// real servers send (nginx's default `large_client_header_buffers` for
    /// requests is 4 × 8 KiB) and bounds what one head may buffer.
    pub max_head_size: usize,
    /// Header fields in one response head, and in one trailer section.
    /// 128 is well above the few dozen real responses carry; httparse
    /// reports the excess as an error rather than truncating.
    pub max_headers: usize,
    /// Bytes of one chunk-size line, extensions included (RFC 9112 §7.1).
    /// Extensions are skipped, never stored; the cap stops a server from
    /// making one line cost unbounded time before any data arrives.
    pub max_chunk_line: usize,
    /// Bytes of the trailer section after the last chunk (RFC 9112
    /// §7.1.2). Trailers are buffered whole before parsing, so this is the
    /// memory bound for them.
    pub max_trailer_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_head_size: 64 << 10,
            max_headers: 128,
            max_chunk_line: 4 << 10,
            max_trailer_size: 16 << 10,
        }
    }
}
