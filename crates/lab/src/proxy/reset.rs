//! A TCP reset on demand: SO_LINGER 0, then close. Before that, the bytes
//! the proxy already wrote are let out of its kernel send buffer (bounded
//! in time), so a peer that reads sees exactly what was delivered and then
//! ECONNRESET: a RST discards whatever is still unsent, and "reset after N
//! bytes" must mean N.

use std::io;
use std::time::Duration;

use socket2::SockRef;
use tokio::net::TcpStream;

/// The longest a reset waits for unsent bytes to leave: a peer that has
/// stopped reading gets its RST with them unsent, as it would from a real
/// network.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// Lets what was written to `sockets` leave, then arms them to send RST
/// when they are dropped.
pub(crate) async fn arm(sockets: &[&TcpStream]) {
    let _ = tokio::time::timeout(DRAIN_LIMIT, async {
        for s in sockets {
            let _ = drain(s).await;
        }
    })
    .await;
    for s in sockets {
        let _ = SockRef::from(s).set_linger(Some(Duration::ZERO));
    }
}

/// Waits until `socket` has no unsent bytes: with TCP_NOTSENT_LOWAT at 1,
/// the kernel reports it writable only then (`tcp_stream_memory_free`).
/// tokio's registration of a socket only reports changes, so a fresh one,
/// of a duplicate descriptor, asks for the current state. (Closing the
/// duplicate leaves the socket open.)
async fn drain(socket: &TcpStream) -> io::Result<()> {
    let sock = SockRef::from(socket);
    sock.set_tcp_notsent_lowat(1)?;
    let dup = TcpStream::from_std(std::net::TcpStream::from(sock.try_clone()?))?;
    dup.writable().await
}
