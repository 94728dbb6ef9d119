//! SOCKS5 (RFC 1928) with RFC 1929's user name and password, on
//! tokio-socks: it runs the handshake on any stream (an already-connected
//! TCP socket here, so the client's own happy eyeballs, keep-alive and
//! local address apply to the hop to the proxy), and reports the server's
//! reply codes as its own error variants, which go into the message.
//!
//! `socks5://` resolves the origin's name here and sends its first address
//! (RFC 1928 §5, ATYP 1 or 4); `socks5h://` sends the name (ATYP 3) and the
//! proxy resolves it.

use std::net::SocketAddr;

use tokio_socks::TargetAddr;
use tokio_socks::tcp::Socks5Stream;

use super::Target;
use crate::connect::BoxIo;
use crate::error::Error;

/// Where the SOCKS server should connect to.
pub(crate) enum Dest<'a> {
    Name(&'a str, u16),
    Addr(SocketAddr),
}

/// Asks the SOCKS5 server `proxy` (connected as `io`) for a connection to
/// `dest`; the stream then carries the origin's bytes.
pub(crate) async fn open(io: BoxIo, proxy: &Target, dest: Dest<'_>) -> Result<BoxIo, Error> {
    let (target, shown) = match dest {
        Dest::Name(host, port) => (TargetAddr::Domain(host.into(), port), format!("{host}:{port}")),
        Dest::Addr(addr) => (TargetAddr::Ip(addr), addr.to_string()),
    };
    let result = match &proxy.auth {
        Some((user, pass)) => Socks5Stream::connect_with_password_and_socket(io, target, user, pass).await,
        None => Socks5Stream::connect_with_socket(io, target).await,
    };
    match result {
        Ok(stream) => {
            tracing::debug!(proxy = %proxy, dest = %shown, "SOCKS5 connection open");
            Ok(Box::new(stream))
        }
        Err(e) => {
            use tokio_socks::Error as S;
            // The server's own refusals (RFC 1928 §6) come back the same
            // on a new try, but for a general failure or an unreachable
            // network or host; a lost connection may not.
            let transient = matches!(
                e,
                S::Io(_)
                    | S::GeneralSocksServerFailure
                    | S::NetworkUnreachable
                    | S::HostUnreachable
                    | S::TtlExpired
            );
            Err(Error::proxy(proxy, format!("SOCKS5 connection to {shown} failed: {e}"), transient)
                .with_source(e))
        }
    }
}
