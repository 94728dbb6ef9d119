//! A frame-level script DSL: an HTTP/2 server that sends exactly the frames a
//! test names, in the order it names them, malformed ones included, over
//! real TCP on 127.0.0.1.
//!
//! - [`ScriptServer`] listens; [`ScriptServer::accept`] gives a
//!   [`ScriptConn`] for imperative tests, [`ScriptServer::spawn`] runs a
//!   declarative [`Script`] in a task and returns its [`Transcript`].
//! - [`ScriptConn`] reads the client's frames (recording them and
//!   reassembling [`Request`]s) and sends [`Frame`]s, HPACK-encoded headers,
//!   whole responses or raw bytes.
//! - [`frames`] builds frames (`frames::go_away(1, Reason::NO_ERROR)`,
//!   `frames::raw(0x6, 0, 0, &[0; 7])` for a PING of length 7), and a
//!   [`Matcher`] says which frame a step expects.
//!
//! What it does not do: it is not a conforming server. Nothing is sent that
//! the script does not say, except the SETTINGS and ACK of
//! [`ScriptConn::handshake`]: no PING or later SETTINGS acknowledgements, no
//! flow control (RFC 9113 §6.9: responses must fit the client's windows),
//! no stream states, no TLS. It decodes the client's bytes with the same
//! codec as the client under test ([`baton_proto::h2::frame`] and
//! [`baton_proto::h2::hpack`], through a [`baton_testkit::Peer`]); a bug
//! shared by both would not show here.
//!
//! Every wait is bounded ([`DEFAULT_TIMEOUT`], or
//! [`ScriptServer::with_timeout`]) and fails with `io::ErrorKind::TimedOut`.
//! The timeouts use tokio's clock. With a paused clock they fire as soon as
//! the runtime is idle and no earlier timer is pending: a test that pauses
//! time gives the server a long timeout
//! ([`ScriptServer::with_timeout`]) and keeps the runtime busy while bytes
//! are in flight (see crates/client/tests/timeouts.rs).
//!
//! # Example
//! A client that sends the preface and an empty SETTINGS frame, and a
//! script that answers with its own SETTINGS, then GOAWAY, then FIN:
//! ```
//! use baton_lab::script::{Matcher, Reason, Script, ScriptServer, Settings, frames};
//! use baton_proto::h2::PREFACE;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = ScriptServer::bind().await?;
//! let addr = server.addr();
//! let task = server.spawn(
//!     Script::new()
//!         .handshake()
//!         .expect_frame(Matcher::settings().ack())
//!         .go_away(0, Reason::NO_ERROR)
//!         .close(),
//! );
//!
//! let mut tcp = tokio::net::TcpStream::connect(addr).await?;
//! let mut hello = PREFACE.to_vec();
//! hello.extend_from_slice(&frames::raw(0x4, 0, 0, b"")); // SETTINGS
//! hello.extend_from_slice(&frames::raw(0x4, 0x1, 0, b"")); // SETTINGS ACK
//! tcp.write_all(&hello).await?;
//! let mut answer = Vec::new();
//! tcp.read_to_end(&mut answer).await?; // SETTINGS, ACK, GOAWAY, then FIN
//! assert_eq!(answer.len(), 9 + 9 + 17);
//!
//! let transcript = task.await.expect("script task")?;
//! assert_eq!(transcript.settings, Some(Settings::default()));
//! assert_eq!(transcript.received.len(), 2);
//! # Ok(())
//! # }
//! ```

mod conn;
mod matcher;
mod request;
mod run;
mod server;
mod step;
mod transcript;

/// Re-exported so scripts need no other import for their frames.
pub use baton_proto::h2::frame::{Frame, Reason, Settings};
/// The frame builders, from baton-testkit (where the proto tests and the
/// fuzz targets find them too).
pub use baton_testkit::frames;
pub use conn::ScriptConn;
pub use matcher::Matcher;
pub use request::Request;
pub use server::{DEFAULT_TIMEOUT, ScriptServer};
pub use step::{Script, Step};
pub use transcript::Transcript;
