//! The lab's HTTP/2 server connection (RFC 9113), on baton-proto's frame
//! codec and HPACK. Correct when the scenario is `normal`; each misbehaviour
//! lives in `behaviour.rs` and is switched on only by its scenario.
//!
//! One task reads and decides; a second task owns the write half, so a
//! client that writes a large body while we write a large response cannot
//! deadlock us.

mod behaviour;
mod conn;
mod respond;
mod writer;

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::context::{ConnInfo, Shared};

/// Serves one HTTP/2 connection until it ends.
pub(crate) async fn serve<IO>(io: IO, shared: Arc<Shared>, info: ConnInfo) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (read, write) = tokio::io::split(io);
    let (out, writer) = writer::spawn(write);
    let result = conn::ServerConn::new(shared, info, out).run(read).await;
    // Let the writer flush what was queued before the connection goes.
    let _ = writer.await;
    result
}
