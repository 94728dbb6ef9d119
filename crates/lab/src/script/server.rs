//! The listening side: a socket on 127.0.0.1 that hands out one
//! [`ScriptConn`] per accepted connection.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::conn::ScriptConn;
use super::step::Script;
use super::transcript::Transcript;

/// How long an accept, read, write or expectation may take by default
/// before failing with `TimedOut`: long enough for a loaded CI machine, short
/// enough that a stuck test fails instead of hanging.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP listener on 127.0.0.1 (an ephemeral port) for scripted HTTP/2
/// connections with prior knowledge (RFC 9113 §3.3): no TLS, no HTTP/1.1.
#[derive(Debug)]
pub struct ScriptServer {
    listener: TcpListener,
    addr: SocketAddr,
    timeout: Duration,
}

impl ScriptServer {
    /// Binds 127.0.0.1:0.
    ///
    /// # Errors
    /// The socket's error.
    pub async fn bind() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr, timeout: DEFAULT_TIMEOUT })
    }

    /// Serves on a listener the test set up itself (e.g. with socket2, for
    /// a backlog of 0), which must be bound to 127.0.0.1 and is made
    /// non-blocking here.
    ///
    /// # Errors
    /// The socket's error; must be called inside a tokio runtime.
    pub fn from_listener(listener: std::net::TcpListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr, timeout: DEFAULT_TIMEOUT })
    }

    /// Sets the timeout of [`Self::accept`] and of the connections it
    /// returns (default [`DEFAULT_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, for clients that take a URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits for the next connection (TCP_NODELAY is set on it, so each
    /// write leaves at once).
    ///
    /// # Errors
    /// `TimedOut` when no client connects within the timeout; the socket's
    /// error.
    pub async fn accept(&self) -> io::Result<ScriptConn> {
        let accepted = tokio::time::timeout(self.timeout, self.listener.accept()).await;
        let Ok(accepted) = accepted else {
            let msg = format!("no client connected to {} within {:?}", self.addr, self.timeout);
            return Err(io::Error::new(io::ErrorKind::TimedOut, msg));
        };
        let (io, peer) = accepted?;
        io.set_nodelay(true)?;
        Ok(ScriptConn::new(io, peer, self.timeout))
    }

    /// Accepts one connection in a new task, runs `script` on it, then
    /// closes it (see [`ScriptConn`]'s drop behaviour) and returns what the
    /// client sent. The listener closes as soon as that connection is
    /// accepted: a client's next connection is refused at once, not queued
    /// in the backlog of a listener about to close (and then reset).
    ///
    /// # Errors
    /// The task's result is the accept error or the failing step's error
    /// ([`ScriptConn::run`]). A task that panicked surfaces as a
    /// `JoinError` when awaiting the handle.
    pub fn spawn(self, script: Script) -> JoinHandle<io::Result<Transcript>> {
        tokio::spawn(async move {
            let mut conn = self.accept().await?;
            drop(self);
            conn.run(&script).await?;
            Ok(conn.transcript())
        })
    }

    /// Accepts one connection per script, in order, and runs each script on
    /// its connection as soon as it is accepted, concurrently with the
    /// others (a client may open the next connection before the previous
    /// one has closed, e.g. when it retries after a GOAWAY).
    ///
    /// # Errors
    /// The first accept error, or the first failing script in connection
    /// order, its message prefixed with the connection's index.
    pub fn spawn_each(self, scripts: Vec<Script>) -> JoinHandle<io::Result<Vec<Transcript>>> {
        tokio::spawn(async move {
            let mut runs = Vec::with_capacity(scripts.len());
            for script in scripts {
                let mut conn = self.accept().await?;
                runs.push(tokio::spawn(async move {
                    conn.run(&script).await?;
                    Ok::<_, io::Error>(conn.transcript())
                }));
            }
            let mut transcripts = Vec::with_capacity(runs.len());
            for (index, run) in runs.into_iter().enumerate() {
                let transcript = run
                    .await
                    .map_err(io::Error::other)
                    .and_then(|r| r)
                    .map_err(|e| io::Error::new(e.kind(), format!("connection {index}: {e}")))?;
                transcripts.push(transcript);
            }
            Ok(transcripts)
        })
    }
}
