//! The HTTP/1.1 client connection state machine (RFC 9112), sans-IO: one
//! request at a time, no pipelining.
//!
//! # Call order
//! ```text
//! let mut conn = Connection::new(config);
//! conn.send_request(&method, &uri, &headers, body_len, now)?;  // head queued
//! loop {
//!     write(conn.poll_transmit()); conn.handle_written(n);   // after every write
//!     conn.handle_read(bytes, now) / handle_eof(now) / handle_transport_error(e, now)
//!     while let Some(ev) = conn.poll_event() { ... }          // after every input
//!     conn.send_data(chunk, end) / send_trailers(..) / abort(..)
//! }
//! // after Event::ResponseEnded: conn.is_reusable(), conn.keep_alive_timeout()
//! ```
//! Report writes with [`Connection::handle_written`] before handling the
//! reads that follow them: the journal and the unsolicited-response check
//! both depend on knowing how many request bytes left.
//!
//! # State
//! Three small enums, as in hyper's `proto::h1::conn`: [`Reading`] (what
//! the next response bytes mean), [`Writing`] (what the request side
//! accepts) and [`KeepAlive`] (whether the connection outlives the
//! exchange). Every `(state, input)` pair is handled in one `match`; see the
//! tests for the full table.
//!
//! # The journal
//! The request's [`Phase`] advances only on
//! [`handle_written`](Connection::handle_written) confirmations
//! (`HeadersWritten` once the whole head left, then
//! `BodyPartlyWritten(n)` with `n` payload bytes, then `BodyWritten`) and on
//! response bytes. Every request ends with exactly one
//! [`Event::ResponseEnded`] or [`Event::RequestFailed`]; a failure carries
//! the bytes written and the [`Processing`](crate::Processing) verdict.

mod read;
mod write;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::body::BodyDecoder;
use super::config::Config;
use super::encode::BodyEncoder;
use super::error::{CloseCause, RequestFailure};
use super::event::Event;
use super::keep_alive::KeepAlive;
use super::response::HeadParser;
use crate::transmit::Transmitted;
use crate::{Phase, Processing};

/// Where the connection is in its life, for the pool (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// No request in flight; [`Connection::send_request`] is accepted.
    Idle,
    /// A request is in flight.
    Busy,
    /// Finished (see the [`Event::Closed`] cause).
    Closed,
}

/// What arriving bytes mean.
#[derive(Debug)]
enum Reading {
    /// No request in flight: bytes are unsolicited (RFC 9112 §9.2).
    Idle,
    /// Waiting for a (1xx or final) response head.
    Head(HeadParser),
    /// Inside the final response's body.
    Body(BodyDecoder),
    /// The connection is finished; bytes are ignored.
    Closed,
}

/// What the request side accepts.
#[derive(Debug)]
enum Writing {
    /// No request in flight.
    Idle,
    /// The head is queued and the body is expected through `send_data`.
    Body(BodyEncoder),
    /// The whole request is queued.
    Done,
    /// The server answered before the body was complete (RFC 9112 §9.5):
    /// the rest of the body is not sent.
    Stopped,
    /// The connection is finished.
    Closed,
}

/// Where request body payload bytes sit in the outgoing byte stream.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// Offset of the first payload byte in the connection's output.
    wire_start: u64,
    len: u64,
    /// Payload bytes of the body before this segment.
    before: u64,
}

/// One request/response exchange and its journal.
#[derive(Debug)]
struct Exchange {
    phase: Phase,
    head_request: bool,
    reused: bool,
    /// Output offsets: first request byte, just past the head, just past
    /// the whole request (once queued).
    start: u64,
    head_end: u64,
    end: Option<u64>,
    segments: VecDeque<Segment>,
    body_queued: u64,
    body_written: u64,
    body_received: u64,
}

impl Exchange {
    fn advance(&mut self, phase: Phase) {
        if phase > self.phase {
            self.phase = phase;
        }
    }
}

/// An HTTP/1.1 client connection with no I/O. See the module documentation
/// for the call order.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    reading: Reading,
    writing: Writing,
    keep_alive: KeepAlive,
    read_buf: BytesMut,
    write_buf: BytesMut,
    /// What was handed out and confirmed written.
    sent: Transmitted,
    exchange: Option<Exchange>,
    /// Requests started on this connection.
    exchanges: u64,
    keep_alive_timeout: Option<Duration>,
    idle_since: Option<Instant>,
    now: Option<Instant>,
    events: VecDeque<Event>,
    /// Request targets in absolute-form, for a forward proxy.
    absolute_form: bool,
    /// Response fields checked before (`known_fields.rs`).
    known_fields: crate::known_fields::KnownFields,
}

impl Connection {
    /// A connection ready for its first request. Nothing is written until
    /// [`Self::send_request`].
    pub fn new(config: Config) -> Self {
        Self {
            config,
            reading: Reading::Idle,
            writing: Writing::Idle,
            keep_alive: KeepAlive::Idle,
            read_buf: BytesMut::new(),
            write_buf: BytesMut::new(),
            sent: Transmitted::default(),
            exchange: None,
            exchanges: 0,
            keep_alive_timeout: None,
            idle_since: None,
            now: None,
            events: VecDeque::new(),
            absolute_form: false,
            known_fields: Default::default(),
        }
    }

    /// Sends request targets in absolute-form (`GET http://host/path`), as
    /// RFC 9112 §3.2.2 asks of a request to a forward proxy, instead of
    /// origin-form (`GET /path`). `Host` is still sent, from the URI's
    /// authority. Call before the first request.
    pub fn use_absolute_form(&mut self) {
        self.absolute_form = true;
    }

    // ----- getters -------------------------------------------------------

    /// Where the connection is in its life.
    pub fn state(&self) -> ConnectionState {
        match (&self.reading, &self.exchange) {
            (Reading::Closed, _) => ConnectionState::Closed,
            (_, Some(_)) => ConnectionState::Busy,
            (_, None) => ConnectionState::Idle,
        }
    }

    /// True when the connection can take the next request now: idle, and
    /// the last exchange left it persistent (RFC 9112 §9.3: no `close` on
    /// either side, HTTP/1.1 or HTTP/1.0 with keep-alive, a body delimited
    /// by its framing, no error, nothing unread).
    pub fn is_reusable(&self) -> bool {
        self.state() == ConnectionState::Idle
            && self.keep_alive == KeepAlive::Idle
            && self.read_buf.is_empty()
    }

    /// The `Keep-Alive: timeout=N` the last response announced (see
    /// `keep_alive.rs`): the pool should expire this idle connection before
    /// [`Self::idle_since`] plus this, minus a margin for the round trip.
    pub fn keep_alive_timeout(&self) -> Option<Duration> {
        self.keep_alive_timeout
    }

    /// When the connection last became idle (the `now` of the input that
    /// completed the exchange); `None` while busy or before the first
    /// request.
    pub fn idle_since(&self) -> Option<Instant> {
        self.idle_since
    }

    /// Requests started on this connection; above zero, the next request
    /// is a reuse (the journal's "connection reused").
    pub fn requests_started(&self) -> u64 {
        self.exchanges
    }

    /// The journal phase of the request in flight.
    pub fn phase(&self) -> Option<Phase> {
        self.exchange.as_ref().map(|e| e.phase)
    }

    /// Bytes of the request in flight confirmed written (zero proves
    /// `NotSent`, DESIGN.md §2).
    pub fn request_bytes_written(&self) -> Option<u64> {
        self.exchange.as_ref().map(|e| self.sent.written().saturating_sub(e.start))
    }

    /// Bytes waiting in the write buffer. A body producer should wait for
    /// this to drain below its own mark before calling `send_data` again:
    /// the connection applies no limit of its own.
    pub fn send_buffered(&self) -> usize {
        self.sent.unconfirmed(self.write_buf.len())
    }

    /// True when bytes wait to be written.
    pub fn wants_write(&self) -> bool {
        !self.write_buf.is_empty()
    }

    // ----- outputs ---------------------------------------------------------

    /// Every byte waiting to be written (empty when there is nothing).
    /// Report what the transport accepted with [`Self::handle_written`].
    #[must_use]
    pub fn poll_transmit(&self) -> &[u8] {
        &self.write_buf
    }

    /// Like [`Self::poll_transmit`], but hands the bytes over as an owned
    /// `Bytes` (no copy), for drivers that write while they read. They still
    /// count as unwritten until [`Self::handle_written`] confirms them.
    #[must_use]
    pub fn take_transmit(&mut self) -> Bytes {
        self.sent.take(&mut self.write_buf)
    }

    /// Offset in the connection's output of the first byte still in the
    /// write buffer.
    pub(super) fn out_base(&self) -> u64 {
        self.sent.base()
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The transport accepted the first `n` bytes of what
    /// [`Self::poll_transmit`] returned. This moves the request's journal
    /// to `HeadersWritten`, `BodyPartlyWritten(n)` and `BodyWritten`.
    pub fn handle_written(&mut self, n: usize) {
        let written = self.sent.confirm(&mut self.write_buf, n);
        let Some(ex) = self.exchange.as_mut() else { return };
        while let Some(seg) = ex.segments.front().copied() {
            let seg_end = seg.wire_start + seg.len;
            if written >= seg_end {
                ex.body_written = seg.before + seg.len;
                ex.segments.pop_front();
            } else {
                if written > seg.wire_start {
                    ex.body_written = seg.before + (written - seg.wire_start);
                }
                break;
            }
        }
        if ex.end.is_some_and(|end| written >= end) {
            ex.advance(Phase::BodyWritten);
        } else if ex.body_written > 0 {
            ex.advance(Phase::BodyPartlyWritten(ex.body_written));
        } else if written >= ex.head_end {
            ex.advance(Phase::HeadersWritten);
        }
    }

    // ----- shared by the submodules ----------------------------------------

    /// Ends the connection with `cause`: a request still in flight fails
    /// with its journal, then `Closed` is emitted (once).
    fn close(&mut self, cause: CloseCause) {
        if matches!(self.reading, Reading::Closed) {
            return;
        }
        // A request whose response already ended (an early 2xx, its body
        // still being sent) had its one terminal event: `ResponseEnded`.
        if let Some(ex) = self.exchange.take().filter(|ex| ex.phase != Phase::Complete) {
            let failure = self.failure(&ex, cause.clone());
            self.events.push_back(Event::RequestFailed(failure));
        }
        self.reading = Reading::Closed;
        self.writing = Writing::Closed;
        self.keep_alive = KeepAlive::Disabled;
        self.keep_alive_timeout = None;
        self.idle_since = None;
        self.read_buf.clear();
        self.write_buf.clear();
        self.events.push_back(Event::Closed(cause));
    }

    fn failure(&self, ex: &Exchange, cause: CloseCause) -> RequestFailure {
        let bytes_written = self.sent.written().saturating_sub(ex.start);
        RequestFailure {
            cause,
            phase: ex.phase,
            bytes_written,
            body_sent: ex.body_written,
            body_received: ex.body_received,
            reused: ex.reused,
            processing: verdict(ex.phase, bytes_written),
        }
    }
}

/// DESIGN.md §2 for HTTP/1.1: `NotSent` is proven only by zero request
/// bytes written. A partly written head could not have been acted on by a
/// correct server, but "written" means accepted by the transport, not
/// received, and the error must only ever be conservative; so any byte
/// written without a response head is `MaybeProcessed`. There is no
/// HTTP/1.1 equivalent of GOAWAY, so never `NotProcessed`.
fn verdict(phase: Phase, bytes_written: u64) -> Processing {
    match Processing::classify(phase, false) {
        Processing::NotSent if bytes_written > 0 => Processing::MaybeProcessed,
        p => p,
    }
}

#[cfg(test)]
mod tests;
