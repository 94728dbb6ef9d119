//! A TLS stream whose writes never report less than may have reached the
//! server.
//!
//! Both connection drivers count a write's bytes as sent only when the
//! transport says `Ok(n)`, and an error as nothing sent: that is what lets a
//! request whose head never left be retried anywhere (DESIGN.md §2,
//! `NotSent`). Over TCP that holds. tokio-rustls's `poll_write` does not:
//! it takes the plaintext into the TLS session, writes records to the socket
//! in a loop, and when a later socket write fails it returns only the error,
//! though earlier records of that same plaintext went out. Counted as
//! nothing sent, a request the server may have received would be retried on
//! another connection, and could be processed twice.
//!
//! [`TlsIo`] counts what the socket accepts. A write that fails after the
//! socket took bytes during it is reported as written whole (the server may
//! have any of it; the verdict then says so), and the error is returned by
//! the next call instead.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::client::TlsStream;

/// A transport that counts the bytes it accepted.
#[derive(Debug)]
pub(crate) struct Counted<S> {
    inner: S,
    accepted: u64,
}

impl<S> Counted<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self { inner, accepted: 0 }
    }

    /// Adds what a write accepted to the count, and passes its result on.
    fn count(&mut self, polled: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(n)) = polled {
            self.accepted += n as u64;
        }
        polled
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(polled)
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

/// Told once when the server refuses the connection with a fatal TLS alert
/// before any plaintext arrived (with TLS 1.3 a rejected client certificate
/// is reported so, after the handshake: RFC 8446 §4.4.2.4), with the
/// refusal in words.
pub(crate) type OnRejection = Box<dyn FnOnce(String) + Send>;

/// A client TLS stream over a [`Counted`] transport; see the module
/// documentation.
pub(crate) struct TlsIo<S> {
    stream: TlsStream<Counted<S>>,
    /// A write error held back by a write reported as whole.
    failed: Option<io::Error>,
    /// Plaintext has arrived: a later alert is no refusal of the connection.
    read_any: bool,
    on_rejection: Option<OnRejection>,
}

impl<S> std::fmt::Debug for TlsIo<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIo").field("read_any", &self.read_any).finish_non_exhaustive()
    }
}

impl<S> TlsIo<S> {
    pub(crate) fn new(stream: TlsStream<Counted<S>>) -> Self {
        Self { stream, failed: None, read_any: false, on_rejection: None }
    }

    /// Calls `on_rejection` when the server refuses the connection with an
    /// alert before any plaintext ([`OnRejection`]).
    pub(crate) fn on_rejection(mut self, on_rejection: OnRejection) -> Self {
        self.on_rejection = Some(on_rejection);
        self
    }

    /// The TLS session (ALPN, version).
    pub(crate) fn session(&self) -> &rustls::ClientConnection {
        self.stream.get_ref().1
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                self.read_any |= buf.filled().len() > before;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e))
                if !self.read_any
                    && matches!(crate::tls::rustls_error(&e), Some(rustls::Error::AlertReceived(_))) =>
            {
                // The words reach every error built from this one (they
                // travel as text through the protocol engines).
                let why = crate::tls::describe(&e, true);
                if let Some(tell) = self.on_rejection.take() {
                    tell(why.clone());
                }
                Poll::Ready(Err(io::Error::new(e.kind(), why)))
            }
            other => other,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(e) = self.failed.take() {
            return Poll::Ready(Err(e));
        }
        let before = self.stream.get_ref().0.accepted;
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Ready(Err(e)) if self.stream.get_ref().0.accepted != before => {
                tracing::debug!(error = %e, "TLS write failed after records went out: counted as written");
                self.failed = Some(e);
                Poll::Ready(Ok(buf.len()))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.failed.take() {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    /// A transport that accepts `budget` more bytes, then fails every write
    /// (a connection reset in the middle of a write).
    struct Breaking {
        inner: DuplexStream,
        budget: Arc<AtomicUsize>,
    }

    impl AsyncRead for Breaking {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Breaking {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            let left = self.budget.load(Ordering::SeqCst);
            if left == 0 {
                return Poll::Ready(Err(io::Error::from(io::ErrorKind::ConnectionReset)));
            }
            let n = buf.len().min(left);
            let polled = Pin::new(&mut self.inner).poll_write(cx, &buf[..n]);
            if let Poll::Ready(Ok(n)) = polled {
                self.budget.fetch_sub(n, Ordering::SeqCst);
            }
            polled
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    /// A TLS connection to a server on the other end of a duplex pipe, and
    /// the knob that breaks the client's writes.
    async fn connected() -> (TlsIo<Breaking>, tokio_rustls::server::TlsStream<DuplexStream>, Arc<AtomicUsize>)
    {
        let cert = baton_lab::tls::TestCertificate::generate().unwrap();
        let server_config = cert.server_config(&[b"h2"]).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert.cert.clone()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let client_config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (client_end, server_end) = tokio::io::duplex(1 << 20);
        let budget = Arc::new(AtomicUsize::new(usize::MAX));
        let transport = Counted::new(Breaking { inner: client_end, budget: budget.clone() });
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
        let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
        let (client, server) = tokio::join!(connector.connect(name, transport), acceptor.accept(server_end));
        (TlsIo::new(client.unwrap()), server.unwrap(), budget)
    }

    #[tokio::test]
    async fn a_write_cut_after_records_went_out_counts_as_written() {
        let (mut client, mut server, budget) = connected().await;
        // Three 16 KiB records' worth; the socket takes 20 KiB (the first
        // record whole and part of the second), then resets.
        budget.store(20 << 10, Ordering::SeqCst);
        let data = vec![7u8; 48 << 10];
        let n = client.write(&data).await.expect("reported as written");
        assert_eq!(n, data.len(), "the server may have any of it");
        let mut got = vec![0u8; 1 << 10];
        tokio::time::timeout(std::time::Duration::from_secs(10), server.read_exact(&mut got))
            .await
            .expect("no record reached the server")
            .expect("the first record reached the server");
        assert!(got.iter().all(|&b| b == 7));
        let e = client.write(b"more").await.expect_err("the error comes with the next call");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    }

    #[tokio::test]
    async fn a_write_the_socket_took_nothing_of_fails_as_unsent() {
        let (mut client, _server, budget) = connected().await;
        budget.store(0, Ordering::SeqCst);
        let e = client.write(&[1u8; 100]).await.expect_err("nothing reached the socket");
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
    }
}
