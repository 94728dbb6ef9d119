//! An HTTP CONNECT tunnel (RFC 9110 §9.3.6) through a proxy: the request
//! in authority-form (RFC 9112 §3.2.3), Basic `Proxy-Authorization` when
//! the proxy has credentials, and any 2xx as "the tunnel is open"; from
//! then on the proxy relays bytes both ways, and the origin's TLS (with its
//! ALPN) or h2c runs inside as on a direct connection.
//!
//! The proxy's answer is read in chunks; bytes after its head already
//! belong to the origin (an h2c server's SETTINGS can arrive with it), so
//! they are handed back first ([`Rewind`]).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::Target;
use crate::connect::BoxIo;
use crate::error::Error;

/// The most a proxy's answer head may take.
const MAX_HEAD: usize = 16 << 10;

/// Opens a tunnel through `proxy` (already connected as `io`) to
/// `host:port`. Fails with a proxy error naming the proxy and what it said.
pub(crate) async fn open(mut io: BoxIo, proxy: &Target, host: &str, port: u16) -> Result<BoxIo, Error> {
    let authority = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = proxy.basic_auth() {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth.to_str().unwrap_or_default());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let lost = |e: io::Error| {
        Error::proxy(proxy, format!("closed the connection during CONNECT {authority}: {e}"), true)
            .with_source(e)
    };
    io.write_all(head.as_bytes()).await.map_err(lost)?;
    io.flush().await.map_err(lost)?;
    let mut buf = Vec::with_capacity(1024);
    let end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buf.len() > MAX_HEAD {
            return Err(Error::proxy(
                proxy,
                format!("answered CONNECT {authority} with a head over {MAX_HEAD} bytes"),
                false,
            ));
        }
        let mut chunk = [0u8; 2048];
        let n = io.read(&mut chunk).await.map_err(lost)?;
        if n == 0 {
            return Err(lost(io::Error::from(io::ErrorKind::UnexpectedEof)));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut fields);
    let status = match response.parse(&buf[..end]) {
        Ok(httparse::Status::Complete(_)) => response.code.unwrap_or(0),
        _ => {
            return Err(Error::proxy(
                proxy,
                format!("answered CONNECT {authority} with a malformed head"),
                false,
            ));
        }
    };
    if !(200..300).contains(&status) {
        let reason = response.reason.unwrap_or_default();
        // 407 (credentials missing or wrong) and 403 (not allowed) come
        // back the same on a new try; a 5xx (the proxy could not reach the
        // origin, or is overloaded) may not.
        let transient = status >= 500;
        return Err(Error::proxy(
            proxy,
            format!("refused CONNECT {authority}: {status} {reason}"),
            transient,
        )
        .with_proxy_status(status));
    }
    tracing::debug!(proxy = %proxy, %authority, status, "CONNECT tunnel open");
    let rest = Bytes::copy_from_slice(&buf[end..]);
    if rest.is_empty() { Ok(io) } else { Ok(Box::new(Rewind { rest, inner: io })) }
}

/// A stream that first yields bytes already read from it.
struct Rewind {
    rest: Bytes,
    inner: BoxIo,
}

impl AsyncRead for Rewind {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.rest.is_empty() {
            let n = self.rest.len().min(buf.remaining());
            buf.put_slice(&self.rest[..n]);
            self.rest.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::duplex;

    use super::*;

    fn proxy(auth: bool) -> Target {
        let mut t = Target::parse("http://127.0.0.1:3128").unwrap();
        if auth {
            t.auth = Some(("u".into(), "p".into()));
        }
        t
    }

    /// Runs `open` against a scripted proxy that answers `answer`;
    /// returns what the proxy read and the result.
    async fn against(answer: &'static [u8], auth: bool, host: &str) -> (String, Result<BoxIo, Error>) {
        let (client, mut server) = duplex(64 << 10);
        let proxy_side = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut b = [0u8; 1024];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = server.read(&mut b).await.unwrap();
                got.extend_from_slice(&b[..n]);
            }
            server.write_all(answer).await.unwrap();
            (String::from_utf8(got).unwrap(), server)
        });
        let result = open(Box::new(client), &proxy(auth), host, 443).await;
        let (got, _server) = proxy_side.await.unwrap();
        (got, result)
    }

    #[tokio::test]
    async fn a_2xx_opens_the_tunnel_and_bytes_after_it_are_kept() {
        let (got, io) = against(b"HTTP/1.1 200 Connection established\r\n\r\nPRE", true, "::1").await;
        assert_eq!(
            got,
            "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nProxy-Authorization: Basic dTpw\r\n\r\n"
        );
        let mut io = io.unwrap();
        let mut first = [0u8; 3];
        io.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"PRE");
    }

    #[tokio::test]
    async fn refusals_are_proxy_errors_with_the_status() {
        let (got, result) =
            against(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", false, "a.example").await;
        assert_eq!(got, "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n");
        let err = result.err().unwrap();
        assert!(err.is_proxy() && err.is_connect(), "{err}");
        assert!(!err.is_transient());
        assert_eq!(
            err.to_string(),
            "proxy http://127.0.0.1:3128 refused CONNECT a.example:443: 407 Proxy Authentication Required"
        );
        let err = against(b"HTTP/1.1 502 Bad Gateway\r\n\r\n", false, "a.example").await.1.err().unwrap();
        assert!(err.is_proxy() && err.is_transient(), "{err}");
        let err = against(b"garbage\r\n\r\n", false, "a.example").await.1.err().unwrap();
        assert!(err.to_string().contains("malformed"), "{err}");
    }
}
