//! The read side: response heads and bodies, EOF, transport errors.

use bytes::BytesMut;
use std::time::Instant;

use super::{Connection, Reading, Writing};
use crate::Phase;
use crate::h1::body::BodyDecoder;
use crate::h1::body_item::BodyItem;
use crate::h1::decoder::{HeadKind, classify_head};
use crate::h1::error::{CloseCause, ResponseError};
use crate::h1::event::Event;
use crate::h1::head_facts::HeadFacts;
use crate::h1::keep_alive::KeepAlive;
use crate::h1::response::HeadParser;
use crate::h1::response::ResponseHead;

/// What one decoding step produced.
enum Step {
    Head(ResponseHead, HeadFacts),
    Body(BodyItem),
    Error(ResponseError),
}

impl Connection {
    /// Bytes read from the transport. Events follow through
    /// [`Self::poll_event`]; body bytes come out as slices of one internal
    /// buffer, not copied again.
    pub fn handle_read(&mut self, data: &[u8], now: Instant) {
        self.now = Some(now);
        if matches!(self.reading, Reading::Closed) || data.is_empty() {
            return;
        }
        self.read_buf.extend_from_slice(data);
        self.process_read();
    }

    /// The buffer the driver may read transport bytes into directly,
    /// skipping the copy [`Self::handle_read`] makes; call
    /// [`Self::handle_received`] after each read. Only append to it.
    pub fn recv_buf(&mut self) -> &mut BytesMut {
        &mut self.read_buf
    }

    /// Bytes were appended to [`Self::recv_buf`]: decode them, as
    /// [`Self::handle_read`] does.
    pub fn handle_received(&mut self, now: Instant) {
        self.now = Some(now);
        if matches!(self.reading, Reading::Closed) {
            self.read_buf.clear();
            return;
        }
        self.process_read();
    }

    /// The transport reached EOF (the server closed its side). A
    /// close-delimited body ends here normally (RFC 9112 §6.3 item 8); any
    /// other request in flight fails: before the response head with
    /// `NotSent` if no request byte was written, else `MaybeProcessed`
    /// (DESIGN.md S18); after it with `ResponseStarted` (RFC 9112 §8: the
    /// message is incomplete).
    pub fn handle_eof(&mut self, now: Instant) {
        self.now = Some(now);
        if let Reading::Body(body) = &mut self.reading {
            if let Ok(Some(BodyItem::End)) = body.decode_eof() {
                self.finish_response(CloseCause::Eof);
                return;
            }
        }
        self.close(CloseCause::Eof);
    }

    /// The transport failed (reset, I/O error, TLS alert); `error` is the
    /// driver's description. Like [`Self::handle_eof`], except that a
    /// close-delimited body fails too: only a clean close ends it.
    pub fn handle_transport_error(&mut self, error: String, now: Instant) {
        self.now = Some(now);
        self.close(CloseCause::Transport(error));
    }

    /// The application gives up on the request in flight (dropped, body
    /// error, timeout) or on the connection. The request fails with its
    /// journal and `reason`, and the connection closes: HTTP/1.1 has no way
    /// to cancel one exchange and keep the connection.
    pub fn abort(&mut self, reason: String, now: Instant) {
        self.now = Some(now);
        self.close(CloseCause::Aborted(reason));
    }

    /// Decodes what the read buffer holds, until it needs more bytes.
    fn process_read(&mut self) {
        loop {
            let step = match &mut self.reading {
                Reading::Closed => return,
                Reading::Idle => {
                    self.idle_bytes();
                    return;
                }
                Reading::Head(parser) => {
                    // RFC 9112 §9.2: a response can only answer a request
                    // the server has seen. Bytes before any of ours were
                    // written answer nothing of ours (typically a 408 from
                    // an idle timeout) and must not be taken as our
                    // response; the request was not sent.
                    let written = self.sent.written();
                    if written == self.exchange.as_ref().map_or(written, |e| e.start)
                        && !only_empty_lines(&self.read_buf)
                    {
                        self.close(CloseCause::UnsolicitedResponse);
                        return;
                    }
                    match parser.parse(&mut self.read_buf, &self.config, &mut self.known_fields) {
                        Ok(None) => return,
                        Ok(Some((head, facts))) => Step::Head(head, facts),
                        Err(e) => Step::Error(e),
                    }
                }
                Reading::Body(body) => match body.decode(&mut self.read_buf, &self.config) {
                    Ok(None) => return,
                    Ok(Some(item)) => Step::Body(item),
                    Err(e) => Step::Error(e),
                },
            };
            match step {
                Step::Head(head, facts) => self.on_head(head, &facts),
                Step::Body(BodyItem::Data(data)) => {
                    if let Some(ex) = self.exchange.as_mut() {
                        ex.body_received += data.len() as u64;
                        ex.advance(Phase::ResponseBody(ex.body_received));
                    }
                    self.events.push_back(Event::DataReceived { data });
                }
                Step::Body(BodyItem::Trailers(trailers)) => {
                    self.events.push_back(Event::TrailersReceived { trailers });
                }
                Step::Body(BodyItem::End) => self.finish_response(CloseCause::NotPersistent),
                Step::Error(e) => self.close(CloseCause::InvalidResponse(e)),
            }
        }
    }

    /// RFC 9112 §9.2: "If a client receives data on a connection that
    /// doesn't have outstanding requests, the client MUST NOT consider that
    /// data to be a valid response; the client SHOULD close the connection
    /// ... unless the data consists only of one or more CRLF".
    fn idle_bytes(&mut self) {
        if only_empty_lines(&self.read_buf) {
            self.read_buf.clear();
        } else {
            self.close(CloseCause::UnsolicitedResponse);
        }
    }

    fn on_head(&mut self, head: ResponseHead, facts: &HeadFacts) {
        let Some(ex) = self.exchange.as_mut() else {
            self.close(CloseCause::UnsolicitedResponse);
            return;
        };
        let (framing, persists) = match classify_head(&head, facts, ex.head_request) {
            Ok(HeadKind::Informational) => {
                self.events.push_back(Event::InformationalReceived { head });
                self.reading = Reading::Head(HeadParser::default());
                return;
            }
            Ok(HeadKind::Final { framing, persists }) => (framing, persists),
            Err(e) => {
                // A 101 means the server acted on the request and switched
                // protocols (RFC 9110 §15.2.2): the exchange has a response.
                if e == ResponseError::UpgradeNotSupported {
                    ex.advance(Phase::ResponseHead);
                }
                self.close(CloseCause::InvalidResponse(e));
                return;
            }
        };
        // RFC 9112 §9.5: "A client sending a message body SHOULD monitor the
        // network connection for an error response while it is transmitting
        // the request. If the client sees a response that indicates the
        // server does not wish to receive the message body and is closing
        // the connection, the client SHOULD immediately cease transmitting
        // the body and close its side of the connection." An early error or
        // redirect (413, 401, 307...), or any early response that closes
        // the connection, is that: we stop sending, deliver the response,
        // and since the server's view of the request stream is now unknown,
        // never reuse the connection. An early 2xx on a persistent
        // connection is not: the server is answering while it reads (a
        // streaming echo, say), so the body goes on to its end and the
        // exchange ends when both directions have (`finish_response`).
        let refuses_body = !persists || head.status.as_u16() >= 300;
        if ex.phase < Phase::BodyWritten && refuses_body {
            ex.segments.clear();
            self.write_buf.clear();
            self.writing = Writing::Stopped;
            self.keep_alive = KeepAlive::Disabled;
        }
        ex.advance(Phase::ResponseHead);
        if persists {
            self.keep_alive_timeout = facts.keep_alive_timeout;
        } else {
            self.keep_alive = KeepAlive::Disabled;
            self.keep_alive_timeout = None;
        }
        let body_sent = ex.body_written;
        self.reading = Reading::Body(BodyDecoder::new(framing.kind));
        self.events.push_back(Event::ResponseReceived { head, body: framing.kind, body_sent });
    }

    /// The response is complete: the exchange ends, and the connection
    /// either goes idle for the next request or closes with `cause`.
    fn finish_response(&mut self, cause: CloseCause) {
        self.events.push_back(Event::ResponseEnded);
        if self.keep_alive == KeepAlive::Busy && matches!(self.writing, Writing::Body(_)) {
            // An early 2xx (see `on_head`) ended before the request body:
            // the exchange stays open for the body, and ends in
            // `finish_exchange` once the body is queued in full. Anything
            // read meanwhile answers nothing.
            if let Some(ex) = self.exchange.as_mut() {
                ex.advance(Phase::Complete);
            }
            self.reading = Reading::Idle;
            return;
        }
        if self.keep_alive == KeepAlive::Busy && matches!(self.writing, Writing::Done) {
            self.finish_exchange();
            // Whatever followed the response is unsolicited.
            self.process_read();
        } else {
            self.exchange = None;
            self.close(cause);
        }
    }

    /// Both the response and the request are complete: the connection goes
    /// idle for the next request.
    pub(super) fn finish_exchange(&mut self) {
        self.exchange = None;
        self.keep_alive = KeepAlive::Idle;
        self.reading = Reading::Idle;
        self.writing = Writing::Idle;
        self.idle_since = self.now;
    }
}

/// True when `buf` holds only CR and LF bytes (possibly none).
fn only_empty_lines(buf: &[u8]) -> bool {
    buf.iter().all(|&b| b == b'\r' || b == b'\n')
}
