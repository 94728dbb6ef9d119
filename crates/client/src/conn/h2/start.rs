//! A request becoming a stream: its head encoded with the Content-Length
//! policy below, its body queued at once, pumped from the caller, or held
//! for `100 (Continue)` by the engine.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Version, header};

use baton_proto::h2::SendError;
use baton_proto::{Phase, Processing};

use super::driver::{Ctx, Driver};
use super::pump::Upload;
use crate::conn::{AttemptRequest, Outcome, expects_continue};
use crate::failure::{AttemptFailure, Cause};

/// RFC 9110 §8.6: a user agent SHOULD send Content-Length when the method
/// gives the content a meaning; HTTP/2 allows it (RFC 9113 §8.1.1), and some
/// server handlers need it to read the body. An in-memory body has a known
/// length, and so has a stream that declared one (its reader holds it to
/// it); an empty one gets `0` only where the method expects a body.
fn add_content_length(method: &Method, headers: &mut HeaderMap, len: u64) {
    let wants_length = len > 0 || matches!(*method, Method::POST | Method::PUT | Method::PATCH);
    if wants_length && !headers.contains_key(header::CONTENT_LENGTH) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
}

impl Driver {
    /// Opens a stream for `req`, or answers it at once with why not.
    /// Boxed as it came: taken apart in place, not copied out whole. `now`
    /// is the engine's clock for it.
    pub(super) fn start(&mut self, req: Box<AttemptRequest>, now: Instant) {
        let AttemptRequest { method, uri, headers, body, attempt, respond } = *req;
        let mut attempt = attempt;
        attempt.version = Version::HTTP_2;
        attempt.connection_id = self.id;
        let full = body.full();
        let end_stream = full.as_ref().is_some_and(Bytes::is_empty);
        let mut headers = headers;
        if let Some(len) = body.len() {
            add_content_length(&method, &mut headers, len);
        }
        let id = match self.conn.send_request(&method, &uri, &headers, end_stream, now) {
            Ok(id) => id,
            Err(e) => {
                // A closed connection says why it closed.
                let why = match (&e, self.conn.close_cause()) {
                    (SendError::Closed, Some(cause)) => format!("{e}: {cause}"),
                    _ => e.to_string(),
                };
                attempt.error = Some(why.clone());
                attempt.go_away = self.conn.last_go_away().cloned();
                // The request's own fault goes nowhere else; the
                // connection's state (GOAWAY, closed, at its limit) lets
                // another connection take it.
                let cause = match e {
                    SendError::InvalidRequest(_) | SendError::HeaderListTooLarge { .. } => {
                        Cause::Invalid(why)
                    }
                    _ => Cause::Rejected(why),
                };
                let failure = AttemptFailure::new(attempt, cause, Processing::NotSent, false);
                let _ = respond.send(Outcome::Failed(Box::new(failure)));
                return self.shared.unreserve();
            }
        };
        attempt.stream_id = Some(id);
        attempt.phase = Phase::HeadersQueued;
        // `Expect: 100-continue` (RFC 9110 §10.1.1): the engine holds the
        // body (`conn/expect.rs` of baton-proto), unless this origin's
        // server is known to ignore the expectation (`origin.rs`).
        if !end_stream && !self.shared.origin.continue_ignored() && expects_continue(&headers) {
            self.conn.hold_body(id, now);
        }
        let writable = match full {
            Some(bytes) if bytes.is_empty() => None,
            Some(bytes) => {
                let _ = self.conn.send_data(id, bytes, true);
                None
            }
            None => {
                // The pump reads the caller's body only once the engine
                // says the stream can take it.
                let upload = Upload::new();
                upload.spawn(body, id, &self.tx);
                Some(upload)
            }
        };
        let first_on_connection = id.value() == 1;
        let ctx = Ctx { respond: Some(respond), body_tx: None, attempt, writable, first_on_connection };
        self.streams.insert(id, ctx);
    }
}
