//! The HTTP/2 connection driver: one task owns a `baton_proto::h2::Connection`
//! and its transport, feeds it reads, writes what it transmits, runs its
//! timers, and routes its events to the requests (STYLE.md §2, "Driver").
//!
//! Cut as hyper cuts its client connection:
//! - `handle.rs`: what the pool holds and shares with the task (the stream
//!   slots, the connection's state, the wait for the server's SETTINGS);
//! - `command.rs`: what handles and response bodies send the task;
//! - `credit.rs`: connection credit from ended bodies, taken in lazily;
//! - `driver.rs`: the task itself, its I/O loop and how it batches writes;
//! - `start.rs`: a request becoming a stream;
//! - `dispatch.rs`: the engine's events reaching their requests and the pool;
//! - `pump.rs`: a streamed request body's reader.
//!
//! The engine's timer table is the driver's only deadline source: its
//! `poll_timeout` covers the SETTINGS, keep-alive, idle, drain, stall and
//! `Expect: 100-continue` waits alike.

mod command;
mod credit;
mod dispatch;
mod driver;
mod handle;
mod pump;
mod start;
#[cfg(test)]
mod tests;

pub(crate) use driver::spawn;
pub(crate) use handle::{H2Handle, NotReady, Waiting};
