//! One HTTP/1.1 exchange on a connection's task: the request out (head,
//! body, `Expect: 100-continue`), the response in, its body handed to the
//! caller with back-pressure (RFC 9112 §9.3: one request at a time).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::{Buf, Bytes};
use http::{HeaderValue, Version};
use tokio::sync::{Notify, oneshot};

use baton_proto::h1::{self, Event, RequestFailure, SendError};

use super::now;
use crate::body::BodyReader;
use crate::conn::socket::{self, Done};
use crate::conn::{
    AttemptRequest, BodyEvent, BodySender, CONTINUE_WAIT, Outcome, ReadRoom, Release, ResponseParts,
    SEND_STALL, body_channel, expects_continue, sleep_until,
};
use crate::connect::BoxIo;
use crate::failure::{AttemptFailure, Cause};
use crate::journal::{Attempt, Phase, Processing};

/// Response bytes delivered but not yet read by the application, beyond
/// which the exchange stops reading the socket (HTTP/1.1's back-pressure is
/// TCP's window).
const MAX_UNREAD: usize = 1 << 20;
/// Request body bytes buffered in the engine before the body stream is
/// polled again.
const MAX_BUFFERED_BODY: usize = 64 << 10;

/// What an exchange shares with its response's reader.
#[derive(Default)]
struct Reader {
    /// Body bytes delivered and not yet read.
    unread: AtomicUsize,
    /// The response was dropped before its end.
    cancelled: AtomicBool,
    wake: Notify,
}

struct H1Release(Arc<Reader>);

impl Release for H1Release {
    fn release(&self, n: usize) {
        let unread = &self.0.unread;
        unread.fetch_sub(n.min(unread.load(Ordering::Acquire)), Ordering::AcqRel);
        self.0.wake.notify_one();
    }

    fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::Release);
        self.0.wake.notify_one();
    }
}

/// The connection's side of an exchange: its socket, its engine, and the
/// room its reads make (all kept from one exchange to the next).
pub(super) struct Wire<'a> {
    pub(super) id: u64,
    pub(super) engine: &'a mut h1::Connection,
    pub(super) io: &'a mut BoxIo,
    pub(super) room: &'a mut ReadRoom,
    /// A forward proxy's credentials, sent with every request.
    pub(super) proxy_authorization: Option<&'a HeaderValue>,
}

/// How an exchange ended (see [`run`]).
pub(super) struct Finished {
    /// `false`: the connection cannot carry another request, whatever the
    /// engine says: a write failed. (The engine still counts the bytes of
    /// that write as handed out, and the next request's writes would pay
    /// them off first: its head could go out while its journal says not.)
    pub(super) sound: bool,
    /// A response body whose end is still to be told: the caller tells it
    /// once the connection is back in the pool, so that the request the
    /// reader sends next finds it there instead of opening another.
    pub(super) end: Option<BodySender>,
}

impl Finished {
    /// Tells the reader its body ended.
    pub(super) fn tell_end(&mut self) {
        if let Some(tx) = self.end.take() {
            tx.send(BodyEvent::End);
        }
    }
}

/// Runs `req` to its end on `wire`: until the response is read (or failed)
/// and the request has gone out. The caller decides from the engine's state
/// whether the connection can carry another, and then tells the body's end
/// ([`Finished::end`]).
pub(super) async fn run(wire: Wire<'_>, req: Box<AttemptRequest>) -> Finished {
    let Wire { id, engine, io, room, proxy_authorization } = wire;
    let AttemptRequest { method, uri, mut headers, body: request_body, mut attempt, respond } = *req;
    if let Some(auth) = proxy_authorization {
        // RFC 9110 §11.7.2: for the proxy, which removes it.
        headers.insert(http::header::PROXY_AUTHORIZATION, auth.clone());
    }
    attempt.version = Version::HTTP_11;
    attempt.connection_id = id;
    let reused = engine.requests_started() > 0;
    let full = request_body.full();
    // In memory, or a stream that declared its length: `Content-Length`.
    let body_len = request_body.len();
    if let Err(e) = engine.send_request(&method, &uri, &headers, body_len, now()) {
        attempt.error = Some(e.to_string());
        let failure = AttemptFailure::new(attempt, refusal(&e), Processing::NotSent, !reused);
        let _ = respond.send(Outcome::Failed(Box::new(failure)));
        return Finished { sound: true, end: None };
    }
    // `Expect: 100-continue` (expect.rs): the body waits, the in-memory one
    // in `held`, a streamed one by not being read, until the gate opens.
    let expect = expects_continue(&headers);
    drop((method, uri, headers));
    let mut held = None;
    // Whether body bytes go out (and their write is watched for a stall
    // below): not the head alone. A GET's head also sits in the engine's
    // buffer at first, and counting it set a 30-second timer (a timer-wheel
    // entry and a wake-up of the runtime's driver) for every request.
    let has_body = full.as_ref().is_none_or(|b| !b.is_empty());
    let mut body = match full {
        Some(bytes) if bytes.is_empty() => None,
        Some(bytes) if expect => {
            held = Some(bytes);
            None
        }
        Some(bytes) => {
            let _ = engine.send_data(bytes, true);
            None
        }
        None => Some(request_body),
    };
    let mut gate =
        (expect && (held.is_some() || body.is_some())).then(|| tokio::time::Instant::now() + CONTINUE_WAIT);
    // When a request body's bytes wait to be written, the time their write
    // gives up (`SEND_STALL` without progress).
    let mut stall: Option<tokio::time::Instant> = None;
    let reader = Arc::new(Reader::default());
    let (unread, wake, cancelled) = (&reader.unread, &reader.wake, &reader.cancelled);
    let mut respond = Some(respond);
    let mut body_tx: Option<BodySender> = None;
    let mut pending = Bytes::new();
    let mut finished = false;
    let mut write_failed = false;
    // Why the request body failed, when it did: the failure is then the
    // body's fault, whatever the engine closed with.
    let mut body_error: Option<String> = None;
    // Which of the socket's directions is polled first: the other one next
    // time, so that neither a streaming response nor an upload starves
    // the other.
    let mut read_first = false;
    // The body whose end came, until the exchange is over (`Finished::end`).
    let mut ended: Option<BodySender> = None;
    loop {
        read_first = !read_first;
        let closed = engine.state() == h1::ConnectionState::Closed;
        if closed {
            // Nothing more goes out on a closed connection: what waits to be
            // written (a request cut short by an abort, a body the server no
            // longer reads) is dropped, or the write would wait for a
            // server that never reads again.
            pending.clear();
            body = None;
            held = None;
        } else if pending.is_empty() && engine.wants_write() && !write_failed {
            pending = engine.take_transmit();
        }
        // After an early 2xx the response can end while the request body is
        // still going out (the engine stays busy until it has): the exchange
        // goes on until then.
        let body_going_out =
            (body.is_some() || held.is_some()) && engine.state() == h1::ConnectionState::Busy;
        if finished && pending.is_empty() && !body_going_out {
            break;
        }
        if let Some(tx) = ended.take() {
            // The request is still going out after the whole response (an
            // early answer): the reader is not kept waiting for that.
            tx.send(BodyEvent::End);
        }
        if pending.is_empty() || !has_body {
            stall = None;
        } else if stall.is_none() {
            stall = Some(tokio::time::Instant::now() + SEND_STALL);
        }
        let can_read = !closed && unread.load(Ordering::Acquire) < MAX_UNREAD;
        let want_body = gate.is_none() && body.is_some() && engine.send_buffered() < MAX_BUFFERED_BODY;
        if closed && pending.is_empty() && !want_body && finished {
            break;
        }
        // Responses are read straight into the engine's buffer (no copy),
        // which stays with the connection from one exchange to the next.
        let spare = room.prepare(engine.recv_buf());
        tokio::select! {
            done = socket::read_or_write(&mut **io, can_read.then(|| engine.recv_buf()), &pending, read_first),
                if can_read || !pending.is_empty() => match done {
                Done::Read(Ok(0)) => engine.handle_eof(now()),
                Done::Read(Ok(n)) => {
                    room.read(n, spare);
                    engine.handle_received(now());
                }
                Done::Read(Err(e)) => engine.handle_transport_error(e.to_string(), now()),
                Done::Written(Ok(n)) => {
                    pending.advance(n);
                    engine.handle_written(n);
                    stall = None;
                }
                Done::Written(Err(e)) => {
                    // The server may have answered (or said why) before it
                    // closed: read what is left before giving up.
                    tracing::debug!(connection = id, error = %e, "write failed; reading what is left");
                    pending.clear();
                    write_failed = true;
                }
            },
            chunk = next_chunk(&mut body), if want_body => match chunk {
                Some(Ok(data)) => {
                    if let Err(e) = engine.send_data(data, false) {
                        body = None;
                        body_refused(engine, &e, &mut body_error);
                    }
                }
                None => {
                    if let Err(e) = engine.send_data(Bytes::new(), true) {
                        body_refused(engine, &e, &mut body_error);
                    }
                    body = None;
                }
                Some(Err(e)) => {
                    body = None;
                    fail_body(engine, e.to_string(), &mut body_error);
                }
            },
            () = sleep_until(gate), if gate.is_some() => {
                tracing::debug!(connection = id, "no answer to Expect: 100-continue; sending the body");
                open_gate(&mut gate, &mut held, engine);
            }
            () = sleep_until(stall), if stall.is_some() => {
                let why = format!("the server read none of the request body for {SEND_STALL:?}");
                engine.abort(why, now());
            }
            // Room to read again, or the response dropped: the latter must
            // be seen while the server is silent too (a long poll), or the
            // connection is held for good.
            () = wake.notified(), if !closed => {}
            () = caller_gone(&mut respond), if respond.is_some() => {
                engine.abort("the caller stopped waiting".into(), now());
                respond = None;
            }
        }
        if cancelled.load(Ordering::Acquire) && !finished {
            engine.abort("the response was dropped before its end".into(), now());
        }
        while let Some(event) = engine.poll_event() {
            match event {
                Event::ResponseReceived { head, body_sent, .. } => {
                    // A final status answers the expectation too: the engine
                    // sends the body on or stops it (RFC 9112 §9.5).
                    open_gate(&mut gate, &mut held, engine);
                    let (tx, rx) = body_channel(H1Release(reader.clone()));
                    body_tx = Some(tx);
                    let mut a = attempt.clone();
                    a.phase = Phase::ResponseHead;
                    a.body_sent = body_sent;
                    let parts = ResponseParts {
                        status: head.status,
                        headers: head.headers,
                        version: head.version,
                        reason: Some(head.reason),
                        body: rx,
                        attempt: a,
                    };
                    if let Some(r) = respond.take() {
                        if r.send(Outcome::Response(Box::new(parts))).is_err() {
                            engine.abort("the caller stopped waiting".into(), now());
                        }
                    }
                }
                Event::DataReceived { data } => {
                    unread.fetch_add(data.len(), Ordering::AcqRel);
                    let delivered = body_tx.as_ref().is_some_and(|tx| tx.send(BodyEvent::Data(data)));
                    if !delivered {
                        engine.abort("the response was dropped before its end".into(), now());
                    }
                }
                Event::TrailersReceived { trailers } => {
                    if let Some(tx) = &body_tx {
                        tx.send(BodyEvent::Trailers(Box::new(trailers)));
                    }
                }
                Event::ResponseEnded => {
                    ended = body_tx.take();
                    finished = true;
                }
                Event::RequestFailed(f) => {
                    let failure = failure(attempt.clone(), f, body_error.take());
                    match (respond.take(), body_tx.take()) {
                        (Some(r), _) => {
                            let _ = r.send(Outcome::Failed(Box::new(failure)));
                        }
                        (None, Some(tx)) => {
                            tx.send(BodyEvent::Failed(Box::new(failure)));
                        }
                        (None, None) => {}
                    }
                    finished = true;
                }
                Event::Closed(_) => finished = true,
                Event::InformationalReceived { head } if head.status == http::StatusCode::CONTINUE => {
                    open_gate(&mut gate, &mut held, engine);
                }
                // Events of later engine versions need nothing here.
                _ => {}
            }
        }
    }
    Finished { sound: !write_failed, end: ended }
}

/// Lets a body held for `Expect: 100-continue` go: the in-memory one is
/// queued (refused by the engine if the server already refused the body),
/// a streamed one is read from now on.
fn open_gate(gate: &mut Option<tokio::time::Instant>, held: &mut Option<Bytes>, engine: &mut h1::Connection) {
    *gate = None;
    if let Some(bytes) = held.take() {
        let _ = engine.send_data(bytes, true);
    }
}

/// Resolves when the caller stopped waiting for the response head.
async fn caller_gone(respond: &mut Option<oneshot::Sender<Outcome>>) {
    match respond {
        Some(r) => r.closed().await,
        None => std::future::pending().await,
    }
}

async fn next_chunk(body: &mut Option<BodyReader>) -> Option<Result<Bytes, crate::error::BoxError>> {
    match body {
        Some(b) => b.next().await,
        None => std::future::pending().await,
    }
}

/// The engine would not take more of a streamed body. After the server's
/// final response that is expected (RFC 9112 §9.5: the rest is not
/// wanted); otherwise the body broke its own framing (more or fewer bytes
/// than its Content-Length), and the request fails as the body's fault
/// instead of leaving the server waiting for bytes that never come.
fn body_refused(engine: &mut h1::Connection, e: &SendError, body_error: &mut Option<String>) {
    if !matches!(e, SendError::BodyNotWanted) {
        fail_body(engine, e.to_string(), body_error);
    }
}

/// The request body failed (`why`): the exchange ends, as the body's fault.
fn fail_body(engine: &mut h1::Connection, why: String, body_error: &mut Option<String>) {
    engine.abort(format!("request body failed: {why}"), now());
    *body_error = Some(why);
}

/// Why the engine would not send a request: the connection's state (another
/// connection may take it) or the request's own fault (none will).
fn refusal(e: &SendError) -> Cause {
    match e {
        SendError::Busy | SendError::Closed => Cause::Rejected(e.to_string()),
        _ => Cause::Invalid(e.to_string()),
    }
}

/// The attempt's failure from the engine's account; `body_error` when the
/// request body's failure is what ended it.
fn failure(mut attempt: Attempt, f: RequestFailure, body_error: Option<String>) -> AttemptFailure {
    attempt.phase = f.phase;
    attempt.body_sent = f.body_sent;
    attempt.error = Some(f.to_string());
    let cause = match body_error {
        Some(why) => Cause::Body(why),
        None => Cause::Exchange(f.cause),
    };
    AttemptFailure::new(attempt, cause, f.processing, !f.reused)
}
