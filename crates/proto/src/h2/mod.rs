//! HTTP/2 (RFC 9113): frame codec, HPACK and the client connection.

pub mod frame;
pub mod hpack;

mod config;
mod conn;
mod error;
mod event;
mod fields;
mod flow;
mod stream;
mod timer;
mod violation;

pub use config::Config;
pub use conn::{Connection, ConnectionState, PREFACE};
pub use error::{CloseCause, Deadline, FailureCause, SendError, StreamFailure};
pub use event::{Event, ResponseHead};
pub use frame::{GoAway, Reason, StreamId};
pub use violation::Violation;
