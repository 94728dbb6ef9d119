//! HTTP/1.1 connections: one task per connection owns the socket and its
//! `baton_proto::h1::Connection`, and runs the exchanges the pool hands it,
//! one at a time (RFC 9112 §9.3: no pipelining). Between exchanges it
//! watches the idle socket, so a connection the server closed is known
//! before a request is given to it. The pool holds the handle, [`H1Conn`],
//! while the connection is idle; the task holds it while an exchange runs,
//! and sends it home after one that leaves the connection reusable.
//!
//! `handle.rs` holds what the pool holds ([`H1Conn`]); `task.rs` the
//! connection's task; `exchange.rs` one request on it; `handoff.rs` the
//! one-job slot between them.

mod exchange;
mod handle;
mod handoff;
mod task;

use std::time::Instant;

pub(crate) use handle::{H1Conn, Home, Slot};

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

#[cfg(test)]
mod tests;
