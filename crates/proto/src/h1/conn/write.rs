//! The write side: the request head and body, into the write buffer.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method, Uri};

use super::{Connection, ConnectionState, Exchange, Reading, Segment, Writing};
use crate::Phase;
use crate::h1::encode::encode_head;
use crate::h1::error::SendError;
use crate::h1::keep_alive::{KeepAlive, has_connection_option};
use crate::h1::response::HeadParser;

impl Connection {
    /// Starts a request: its head is encoded into the write buffer.
    /// `body_len` is the body's length when known (`Some(0)`: no body;
    /// `Content-Length: 0` is still sent for POST, PUT and PATCH), `None`
    /// for a body of unknown length, sent chunked. A body then follows
    /// through [`Self::send_data`].
    ///
    /// A `Connection: close` among `headers` makes this the connection's
    /// last request (RFC 9112 §9.6).
    ///
    /// # Errors
    /// [`SendError::Busy`] while another request is in flight,
    /// [`SendError::Closed`] when the connection cannot take requests, and
    /// the validation errors of the head. Nothing is queued on error; the
    /// request may go to another connection as it is.
    pub fn send_request(
        &mut self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body_len: Option<u64>,
        now: Instant,
    ) -> Result<(), SendError> {
        self.now = Some(now);
        match self.state() {
            ConnectionState::Closed => return Err(SendError::Closed),
            ConnectionState::Busy => return Err(SendError::Busy),
            ConnectionState::Idle if !self.is_reusable() => return Err(SendError::Closed),
            ConnectionState::Idle => {}
        }
        let before = self.write_buf.len();
        let encoder =
            match encode_head(&mut self.write_buf, method, uri, headers, body_len, self.absolute_form) {
                Ok(encoder) => encoder,
                Err(e) => {
                    self.write_buf.truncate(before);
                    return Err(e);
                }
            };
        let base = self.out_base();
        let start = base + before as u64;
        let head_end = base + self.write_buf.len() as u64;
        self.exchange = Some(Exchange {
            phase: Phase::HeadersQueued,
            head_request: *method == Method::HEAD,
            reused: self.exchanges > 0,
            start,
            head_end,
            end: encoder.is_none().then_some(head_end),
            segments: Default::default(),
            body_queued: 0,
            body_written: 0,
            body_received: 0,
        });
        self.exchanges += 1;
        self.writing = match encoder {
            Some(encoder) => Writing::Body(encoder),
            None => Writing::Done,
        };
        self.reading = Reading::Head(HeadParser::default());
        self.keep_alive =
            if has_connection_option(headers, "close") { KeepAlive::Disabled } else { KeepAlive::Busy };
        self.idle_since = None;
        self.keep_alive_timeout = None;
        Ok(())
    }

    /// Queues request body bytes (framed: as they are under
    /// Content-Length, as one chunk when chunked). `end` ends the body
    /// (with a last-chunk when chunked).
    ///
    /// # Errors
    /// [`SendError::BodyNotWanted`] once the server answered early (stop
    /// producing the body; the response is delivered as usual),
    /// [`SendError::NotWritable`] when no body is expected, and
    /// [`SendError::BodyTooLong`] / [`SendError::BodyTooShort`] against a
    /// Content-Length. Nothing is queued on error.
    pub fn send_data(&mut self, data: Bytes, end: bool) -> Result<(), SendError> {
        let base = self.out_base();
        let encoder = match &mut self.writing {
            Writing::Body(encoder) => encoder,
            Writing::Stopped => return Err(SendError::BodyNotWanted),
            Writing::Idle | Writing::Done | Writing::Closed => return Err(SendError::NotWritable),
        };
        let Some(ex) = self.exchange.as_mut() else { return Err(SendError::NotWritable) };
        encoder.check(data.len(), end)?;
        let at = encoder.encode(&mut self.write_buf, &data, end);
        if !data.is_empty() {
            ex.segments.push_back(Segment {
                wire_start: base + at as u64,
                len: data.len() as u64,
                before: ex.body_queued,
            });
            ex.body_queued += data.len() as u64;
        }
        if end {
            ex.end = Some(base + self.write_buf.len() as u64);
            self.writing = Writing::Done;
            self.body_complete();
        }
        Ok(())
    }

    /// The request body is queued in full: if an early 2xx already ended
    /// the response, the exchange is over (see `finish_response`).
    fn body_complete(&mut self) {
        if self.exchange.as_ref().is_some_and(|ex| ex.phase == Phase::Complete) {
            self.finish_exchange();
        }
    }

    /// Ends a chunked request body with trailer fields (RFC 9112 §7.1.2).
    ///
    /// # Errors
    /// As [`Self::send_data`], and [`SendError::TrailersNeedChunked`] when
    /// the body has a Content-Length.
    pub fn send_trailers(&mut self, trailers: &HeaderMap) -> Result<(), SendError> {
        let encoder = match &self.writing {
            Writing::Body(encoder) => *encoder,
            Writing::Stopped => return Err(SendError::BodyNotWanted),
            Writing::Idle | Writing::Done | Writing::Closed => return Err(SendError::NotWritable),
        };
        let base = self.out_base();
        let Some(ex) = self.exchange.as_mut() else { return Err(SendError::NotWritable) };
        encoder.encode_trailers(&mut self.write_buf, trailers)?;
        ex.end = Some(base + self.write_buf.len() as u64);
        self.writing = Writing::Done;
        self.body_complete();
        Ok(())
    }
}
