//! A TCP proxy in front of a server whose first connection dies under the
//! request: it is closed once the client has sent `cut_after` bytes on it,
//! or has gone quiet for 150 ms after sending something (the request is
//! whole and its answer not yet back). Later connections are forwarded.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the proxy to `target`; returns its address.
pub(crate) async fn first_connection_dies(target: SocketAddr, cut_after: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(target).await else { return };
            if std::mem::take(&mut first) {
                tokio::spawn(cut(client, server, cut_after));
            } else {
                tokio::spawn(async move {
                    let (mut c, mut s) = (client, server);
                    let _ = tokio::io::copy_bidirectional(&mut c, &mut s).await;
                });
            }
        }
    });
    addr
}

async fn cut(client: TcpStream, server: TcpStream, cut_after: usize) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut sr, &mut cw).await;
    });
    let mut sent = 0;
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let quiet = if sent == 0 { Duration::from_secs(30) } else { Duration::from_millis(150) };
        match tokio::time::timeout(quiet, cr.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                if sw.write_all(&buf[..n]).await.is_err() {
                    break;
                }
                sent += n;
                if sent >= cut_after {
                    break;
                }
            }
            _ => break,
        }
    }
    // Both ways closed: the client sees its connection die.
    back.abort();
}
