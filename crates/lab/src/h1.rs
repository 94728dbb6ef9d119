//! HTTP/1.1 side of the lab (to be written).

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::server::{ConnInfo, Shared};

pub(crate) async fn serve<IO>(io: IO, shared: Arc<Shared>, info: ConnInfo) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _ = (io, shared, info);
    Ok(())
}
