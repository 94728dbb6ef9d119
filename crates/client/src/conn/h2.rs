//! The HTTP/2 connection driver: one task owns a `baton_proto::h2::Connection`
//! and its transport, feeds it reads, writes what it transmits, runs its
//! timers, and routes its events to the requests (STYLE.md §2, "Driver").

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use http::Version;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use baton_proto::h2::frame::{Reason, StreamId, StreamIdMap};
use baton_proto::h2::{self as proto, Connection, ConnectionState, Event, StreamFailure};

use self::pump::Upload;
use super::origin::OriginShared;
use super::{
    AttemptFailure, AttemptRequest, BodyEvent, BodySender, CONTINUE_WAIT, FINAL_FLUSH, FailureCause, Outcome,
    ReadRoom, Release, ResponseParts, body_channel, expects_continue, sleep_until,
};
use crate::body::BodyReader;
use crate::journal::{Attempt, GoAwayInfo, Phase, Processing};
use crate::stats::Counters;

const OPEN: u8 = 0;
const DRAINING: u8 = 1;
const CLOSED: u8 = 2;

/// What the pool and the driver share about one connection.
#[derive(Debug)]
pub(crate) struct H2Shared {
    state: AtomicU8,
    /// Streams reserved or open.
    active: AtomicUsize,
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS.
    max: AtomicUsize,
    /// Streams handed out so far (to tell a reused connection from a new one).
    opened: AtomicU64,
    go_away: Mutex<Option<GoAwayInfo>>,
    /// The server's SETTINGS (its connection preface, RFC 9113 §3.4) has
    /// arrived. No stream is opened before: a connection the server never
    /// took up (a listener closing on reload, a server that is not HTTP/2)
    /// then fails its requests as never sent, and the first requests know
    /// the server's real concurrency limit.
    ready: AtomicBool,
    /// How the connection ended, once it has.
    closed_by: Mutex<Option<proto::CloseCause>>,
    /// What the origin's connections share and learn (`origin.rs`).
    origin: Arc<OriginShared>,
}

/// The pool's handle on a connection driver.
#[derive(Debug, Clone)]
pub(crate) struct H2Handle {
    pub(crate) id: u64,
    tx: mpsc::UnboundedSender<Cmd>,
    shared: Arc<H2Shared>,
}

enum Cmd {
    Request(Box<AttemptRequest>),
    Data(StreamId, Bytes, bool),
    BodyFailed(StreamId, String),
    Release(StreamId, usize),
    Cancel(StreamId),
    /// Some caller stopped waiting for its response head.
    Reap,
}

impl H2Handle {
    /// Takes a stream slot if the connection is open and below the server's
    /// limit. Returns whether the connection had carried streams before.
    pub(crate) fn try_reserve(&self) -> Option<bool> {
        let s = &self.shared;
        if s.state.load(Ordering::Acquire) != OPEN || !s.ready.load(Ordering::Acquire) {
            return None;
        }
        if self.exhausted() {
            return None;
        }
        let max = s.max.load(Ordering::Acquire);
        let mut active = s.active.load(Ordering::Acquire);
        loop {
            if active >= max {
                return None;
            }
            match s.active.compare_exchange_weak(active, active + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(s.opened.fetch_add(1, Ordering::AcqRel) > 0),
                Err(now) => active = now,
            }
        }
    }

    /// True once the connection will never take a stream again.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.state.load(Ordering::Acquire) == CLOSED
    }

    /// True while it takes new streams.
    pub(crate) fn is_open(&self) -> bool {
        self.shared.state.load(Ordering::Acquire) == OPEN && !self.exhausted()
    }

    /// Streams it may still open before the origin's learned limit per
    /// connection (`None` while no limit is known).
    fn remaining(&self) -> Option<u64> {
        let limit = self.shared.origin.budget.limit()?;
        Some(limit.saturating_sub(self.shared.opened.load(Ordering::Acquire)))
    }

    /// It will reach the origin's streams-per-connection limit within one
    /// round of concurrent streams (or half the limit, if that is less):
    /// time to open its successor, so that it is ready when this one stops.
    pub(crate) fn near_limit(&self) -> bool {
        let (Some(limit), Some(remaining)) = (self.shared.origin.budget.limit(), self.remaining()) else {
            return false;
        };
        let round = self.shared.max.load(Ordering::Acquire) as u64;
        remaining <= round.min(limit / 2)
    }

    /// It opened as many streams as the origin lets one connection carry:
    /// it gets no more, and the pool counts it as draining.
    fn exhausted(&self) -> bool {
        self.remaining() == Some(0)
    }

    /// Waits for the server's SETTINGS.
    ///
    /// # Errors
    /// How the connection ended, when it ends first (`None` when the driver
    /// stopped without saying).
    pub(crate) async fn ready(&self) -> Result<(), Option<proto::CloseCause>> {
        loop {
            let notified = self.shared.origin.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_closed() {
                return Err(self.shared.closed_by.lock().ok().and_then(|c| c.clone()));
            }
            if self.shared.ready.load(Ordering::Acquire) {
                return Ok(());
            }
            notified.await;
        }
    }

    /// Sends a request on a reserved slot. If the driver is gone the request
    /// fails as never sent.
    ///
    /// The caller keeps the returned [`Waiting`] while it waits for the
    /// outcome: if it stops waiting (a timeout, or its future dropped), the
    /// driver is told to reset the abandoned stream at once.
    pub(crate) fn send(self, req: AttemptRequest) -> Waiting {
        if let Err(mpsc::error::SendError(Cmd::Request(req))) = self.tx.send(Cmd::Request(Box::new(req))) {
            self.shared.unreserve();
            let failure = AttemptFailure {
                attempt: req.attempt,
                cause: FailureCause::Rejected("connection closed".into()),
                processing: Processing::NotSent,
                first_on_connection: false,
            };
            let _ = req.respond.send(Outcome::Failed(failure));
        }
        Waiting { handle: self, armed: true }
    }
}

/// A request in flight on an HTTP/2 connection, from its caller's side.
/// Dropped before [`Waiting::answered`], it asks the driver to reap streams
/// whose callers are gone (their streams are reset with CANCEL and their
/// slots freed), instead of the driver polling every stream for that.
pub(crate) struct Waiting {
    handle: H2Handle,
    armed: bool,
}

impl Waiting {
    /// The outcome arrived: nothing to reap.
    pub(crate) fn answered(mut self) {
        self.armed = false;
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.armed {
            let _ = self.handle.tx.send(Cmd::Reap);
        }
    }
}

/// Marks its connection closed when dropped.
struct ClosedOnDrop(Arc<H2Shared>);

impl Drop for ClosedOnDrop {
    fn drop(&mut self) {
        self.0.set_state(CLOSED);
    }
}

impl H2Shared {
    fn unreserve(&self) {
        self.active.fetch_sub(1, Ordering::AcqRel);
        self.origin.notify.notify_one();
    }

    fn set_state(&self, state: u8) {
        self.state.store(state, Ordering::Release);
        self.origin.notify.notify_waiters();
    }
}

/// Starts a driver for an HTTP/2 transport on one of `origin`'s
/// connections.
pub(crate) fn spawn<IO>(
    io: IO,
    id: u64,
    config: proto::Config,
    origin: Arc<OriginShared>,
    stats: Arc<Counters>,
) -> H2Handle
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let initial = config.initial_max_concurrent_streams as usize;
    let shared = Arc::new(H2Shared {
        state: AtomicU8::new(OPEN),
        active: AtomicUsize::new(0),
        max: AtomicUsize::new(initial),
        opened: AtomicU64::new(0),
        go_away: Mutex::new(None),
        ready: AtomicBool::new(false),
        closed_by: Mutex::new(None),
        origin,
    });
    let (tx, rx) = mpsc::unbounded_channel();
    let driver = Driver {
        conn: Connection::new(config, now()),
        id,
        rx,
        tx: tx.downgrade(),
        shared: shared.clone(),
        streams: StreamIdMap::default(),
        holds: VecDeque::new(),
        uploads: StreamIdMap::default(),
        stats,
    };
    tokio::spawn(driver.run(io));
    H2Handle { id, tx, shared }
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Per-stream state the driver keeps beside the engine's.
struct Ctx {
    respond: Option<oneshot::Sender<Outcome>>,
    body_tx: Option<BodySender>,
    attempt: Attempt,
    /// A streamed body's pump (`pump.rs`); dropped, it stops.
    writable: Option<Upload>,
    first_on_connection: bool,
    /// The body, while `Expect: 100-continue` holds it (expect.rs).
    held: Option<Held>,
    /// A final status refused the held body: it is never sent, and the
    /// stream is reset once the response is complete.
    refused: bool,
}

/// A request body held for the server's `100 (Continue)`.
enum Held {
    Full(Bytes),
    Stream(BodyReader),
}

struct Driver {
    conn: Connection,
    id: u64,
    rx: mpsc::UnboundedReceiver<Cmd>,
    /// Weak, so that `rx` ends once the pool and every response have let go
    /// of the connection; the driver then says GOAWAY and closes.
    tx: mpsc::WeakUnboundedSender<Cmd>,
    shared: Arc<H2Shared>,
    streams: StreamIdMap<Ctx>,
    /// When each held body goes without an answer, in order (every wait is
    /// [`CONTINUE_WAIT`] long); released streams are skipped.
    holds: VecDeque<(tokio::time::Instant, StreamId)>,
    /// Streamed uploads still going after their response was complete
    /// (RFC 9113 §8.1: the server did not ask to stop them), so the
    /// engine's `Writable` still reaches their pump.
    uploads: StreamIdMap<Upload>,
    stats: Arc<Counters>,
}

/// Strong: a response being read keeps its connection's driver listening.
struct H2Release {
    tx: mpsc::UnboundedSender<Cmd>,
    id: StreamId,
}

impl Release for H2Release {
    fn release(&self, n: usize) {
        let _ = self.tx.send(Cmd::Release(self.id, n));
    }

    fn cancel(&self) {
        let _ = self.tx.send(Cmd::Cancel(self.id));
    }
}

/// Reads and commands the driver takes in a row, while bytes wait to be
/// written, before the write is tried first: a server streaming faster than
/// we read must not hold back our WINDOW_UPDATEs, nor a flood of commands
/// the requests already queued.
const MAX_BEFORE_WRITE: u32 = 4;

/// The most room the driver makes for one read: four 16 KiB DATA frames
/// (RFC 9113 §4.2's default SETTINGS_MAX_FRAME_SIZE). A chunk stays
/// allocated while a response body holds any of its bytes, so larger reads
/// would keep more memory for a few syscalls fewer.
const READ_ROOM_MAX: usize = 64 << 10;

/// The most unwritten and newly queued bytes copied together into one
/// write.
const MERGE_LIMIT: usize = 64 << 10;

/// `a` then `b`, in one buffer.
fn concat(a: &Bytes, b: &Bytes) -> Bytes {
    if b.is_empty() {
        return a.clone();
    }
    let mut out = BytesMut::with_capacity(a.len() + b.len());
    out.extend_from_slice(a);
    out.extend_from_slice(b);
    out.freeze()
}

impl Driver {
    async fn run<IO: AsyncRead + AsyncWrite>(mut self, io: IO) {
        // However the task ends, dropped with a runtime that shuts down
        // included, the pool must see the connection closed: a handle left
        // open would take requests that no driver reads.
        let _closed = ClosedOnDrop(self.shared.clone());
        let (mut rd, mut wr) = tokio::io::split(io);
        let mut pending = Bytes::new();
        let mut room = ReadRoom::up_to(READ_ROOM_MAX);
        let mut handles_gone = false;
        // After a failed write the connection is dead, but the server's last
        // frames (a GOAWAY, say) may still wait in the receive buffer: keep
        // reading until EOF or an error, so every stream gets the verdict
        // those frames prove, then close.
        let mut write_failed = false;
        // Once the engine is closed only its last bytes (a GOAWAY) remain to
        // be written; a server that stops reading must not keep this task
        // and its socket alive, so that flush has a time limit.
        let mut flush_until: Option<tokio::time::Instant> = None;
        // Reads and commands go before writes (see the `select!`), but not
        // more than this many times in a row while bytes wait to be written.
        let mut before_write = 0;
        loop {
            // Once closed, the engine withdraws the frames it handed out
            // behind the one in progress: their streams were failed as not
            // sent and may be retried elsewhere, so they must not go out.
            pending.truncate(self.conn.taken_to_write());
            if !write_failed {
                if pending.is_empty() {
                    pending = self.conn.take_transmit(now());
                } else {
                    // What was queued since joins the unwritten bytes, when
                    // both are small: a copy, but one write instead of two.
                    // Large ones (an upload) wait in the engine, uncopied.
                    let at = now();
                    let queued = self.conn.poll_transmit(at).len();
                    if queued > 0 && pending.len() + queued <= MERGE_LIMIT {
                        pending = concat(&pending, &self.conn.take_transmit(at));
                    }
                }
            }
            let closed = self.conn.state() == ConnectionState::Closed;
            if closed && pending.is_empty() {
                let _ = tokio::time::timeout(FINAL_FLUSH, wr.shutdown()).await;
                break;
            }
            let mut deadline = self.conn.poll_timeout().map(tokio::time::Instant::from_std);
            if let Some(&(until, _)) = self.holds.front() {
                deadline = Some(deadline.map_or(until, |d| d.min(until)));
            }
            if closed {
                let until = *flush_until.get_or_insert_with(|| tokio::time::Instant::now() + FINAL_FLUSH);
                if tokio::time::Instant::now() >= until {
                    tracing::debug!(
                        connection = self.id,
                        unsent = pending.len(),
                        "server not reading; dropping the socket"
                    );
                    break;
                }
                deadline = Some(deadline.map_or(until, |d| d.min(until)));
            }
            let spare = room.prepare(self.conn.recv_buf());
            let writing = !pending.is_empty();
            if !writing {
                before_write = 0;
            } else if before_write >= MAX_BEFORE_WRITE {
                // The write's turn: try it first, without waiting. If the
                // socket is full, go on reading below as always (a server
                // may not read before we do).
                let tried = std::future::poll_fn(|cx| {
                    Poll::Ready(match Pin::new(&mut wr).poll_write(cx, &pending) {
                        Poll::Ready(written) => Some(written),
                        Poll::Pending => None,
                    })
                });
                if let Some(written) = tried.await {
                    before_write = 0;
                    write_failed = self.wrote(written, &mut pending);
                    continue;
                }
            }
            before_write += 1;
            // Biased, in this order: everything the server sent and every
            // command already queued is taken in before a write, so the
            // write carries all it can (one `sendto` for many requests and
            // window updates, where a fair choice wrote one request each).
            tokio::select! {
                biased;
                read = rd.read_buf(self.conn.recv_buf()), if !closed => match read {
                    Ok(0) => self.conn.handle_eof(now()),
                    Ok(n) => {
                        room.read(n, spare);
                        self.conn.handle_received(now());
                    }
                    Err(e) => self.conn.handle_transport_error(e.to_string(), now()),
                },
                cmd = self.rx.recv(), if !handles_gone => match cmd {
                    Some(cmd) => {
                        self.command(cmd);
                        self.drain_commands();
                    }
                    None => {
                        // Nobody can send on this connection any more.
                        handles_gone = true;
                        self.conn.go_away(Reason::NO_ERROR, now());
                    }
                },
                () = sleep_until(deadline), if deadline.is_some() => {
                    self.conn.handle_timeout(now());
                    self.release_due();
                }
                written = wr.write(&pending), if writing => {
                    before_write = 0;
                    write_failed = self.wrote(written, &mut pending);
                }
            }
            if self.dispatch_events() && !handles_gone {
                // Responses were handed to their callers. Let the tasks just
                // woken on this worker run first: their next requests (and
                // their window releases) then go out in one write with
                // whatever else is queued, not in one write each. Muted, so
                // that the first of those commands does not wake this task
                // straight away (the runtime would run it next, and it would
                // write that one request alone).
                self.mute_commands();
                tokio::task::yield_now().await;
                self.drain_commands();
                self.dispatch_events();
            }
        }
        self.shared.set_state(CLOSED);
        // Anything still waiting was failed by the engine's Closed path;
        // this only covers commands that raced the close.
        while let Ok(cmd) = self.rx.try_recv() {
            self.command(cmd);
        }
    }

    /// Accounts for a write; `true` if it failed, after which the
    /// connection only reads what is left.
    fn wrote(&mut self, written: std::io::Result<usize>, pending: &mut Bytes) -> bool {
        match written {
            Ok(n) => {
                pending.advance(n);
                self.conn.handle_written(n);
                false
            }
            Err(e) => {
                tracing::debug!(connection = self.id, error = %e, "write failed; reading what is left");
                pending.clear();
                true
            }
        }
    }

    /// Takes the commands already queued and leaves a no-op waker on the
    /// queue in place of this task's: commands sent from now on wait, without
    /// waking the driver, for the next [`Self::drain_commands`] or `select!`
    /// (which registers the real waker again).
    fn mute_commands(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1024 {
            match self.rx.poll_recv(&mut cx) {
                Poll::Ready(Some(cmd)) => self.command(cmd),
                // `None` (no handles left) is seen by the next `select!`.
                Poll::Ready(None) | Poll::Pending => return,
            }
        }
    }

    /// Takes every command already queued, so they share one write.
    fn drain_commands(&mut self) {
        // Bounded, so a flood of commands cannot starve reads and timers.
        for _ in 0..1024 {
            match self.rx.try_recv() {
                Ok(cmd) => self.command(cmd),
                Err(_) => return,
            }
        }
    }

    fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Request(req) => self.start(*req),
            Cmd::Data(id, data, end) => {
                if end {
                    self.uploads.remove(&id);
                }
                let _ = self.conn.send_data(id, data, end);
            }
            Cmd::BodyFailed(id, why) => {
                self.uploads.remove(&id);
                // How far it got, read before the reset forgets the stream.
                let phase = self.conn.stream_phase(id);
                let body_sent = self.conn.stream_body_sent(id);
                self.conn.reset(id, Reason::CANCEL, now());
                if let Some(ctx) = self.streams.remove(&id) {
                    let phase = phase.unwrap_or(ctx.attempt.phase);
                    let body_sent = body_sent.unwrap_or(ctx.attempt.body_sent);
                    let failure = AttemptFailure {
                        processing: Processing::classify(phase, false),
                        attempt: Attempt { phase, body_sent, ..ctx.attempt },
                        cause: FailureCause::Body(why),
                        first_on_connection: ctx.first_on_connection,
                    };
                    Self::deliver_failure(ctx.respond, ctx.body_tx, failure);
                    self.stream_done(false);
                }
            }
            Cmd::Release(id, n) => self.conn.release_capacity(id, n),
            Cmd::Cancel(id) => self.abandon(id),
            Cmd::Reap => self.reap_abandoned(),
        }
    }

    fn start(&mut self, req: AttemptRequest) {
        let mut attempt = req.attempt;
        attempt.version = Version::HTTP_2;
        attempt.connection_id = self.id;
        let full = req.body.full();
        let end_stream = full.as_ref().is_some_and(Bytes::is_empty);
        let mut headers = req.headers;
        if let Some(body) = &full {
            // RFC 9110 §8.6: a user agent SHOULD send Content-Length when the
            // method gives the content a meaning; HTTP/2 allows it (RFC 9113
            // §8.1.1), and some server handlers need it to read the body.
            let wants_length = !body.is_empty() || matches!(req.method.as_str(), "POST" | "PUT" | "PATCH");
            if wants_length && !headers.contains_key(http::header::CONTENT_LENGTH) {
                headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(body.len()));
            }
        }
        let id = match self.conn.send_request(&req.method, &req.uri, &headers, end_stream, now()) {
            Ok(id) => id,
            Err(e) => {
                attempt.error = Some(e.to_string());
                attempt.go_away = self.conn.last_go_away().cloned();
                // The request's own fault goes nowhere else; the
                // connection's state (GOAWAY, closed, at its limit) lets
                // another connection take it.
                let cause = match e {
                    proto::SendError::InvalidRequest(_) | proto::SendError::HeaderListTooLarge { .. } => {
                        FailureCause::Invalid(e.to_string())
                    }
                    _ => FailureCause::Rejected(e.to_string()),
                };
                let failure = AttemptFailure {
                    attempt,
                    cause,
                    processing: Processing::NotSent,
                    first_on_connection: false,
                };
                let _ = req.respond.send(Outcome::Failed(failure));
                return self.shared.unreserve();
            }
        };
        attempt.stream_id = Some(id.value());
        attempt.phase = Phase::HeadersQueued;
        let first_on_connection = id.value() == 1;
        let expect = !self.shared.origin.continue_ignored() && expects_continue(&headers);
        let (writable, held) = match full {
            Some(bytes) if bytes.is_empty() => (None, None),
            Some(bytes) if expect => (None, Some(Held::Full(bytes))),
            Some(bytes) => {
                let _ = self.conn.send_data(id, bytes, true);
                (None, None)
            }
            None if expect => (Some(Upload::new()), Some(Held::Stream(req.body))),
            None => {
                let upload = Upload::new();
                upload.spawn(req.body, id, &self.tx);
                (Some(upload), None)
            }
        };
        if held.is_some() {
            self.holds.push_back((tokio::time::Instant::now() + CONTINUE_WAIT, id));
        }
        self.streams.insert(
            id,
            Ctx {
                respond: Some(req.respond),
                body_tx: None,
                attempt,
                writable,
                first_on_connection,
                held,
                refused: false,
            },
        );
    }

    /// Sends a body held for `Expect: 100-continue`: the server said
    /// `100 (Continue)` or a 2xx, or did not answer in time.
    fn release(&mut self, id: StreamId) {
        let Some(ctx) = self.streams.get_mut(&id) else { return };
        match ctx.held.take() {
            Some(Held::Full(bytes)) => {
                let _ = self.conn.send_data(id, bytes, true);
            }
            Some(Held::Stream(body)) => {
                if let Some(upload) = &ctx.writable {
                    upload.spawn(body, id, &self.tx);
                }
            }
            None => {}
        }
    }

    /// Releases the held bodies whose wait is over.
    fn release_due(&mut self) {
        let now = tokio::time::Instant::now();
        while let Some(&(until, id)) = self.holds.front() {
            if until > now {
                return;
            }
            self.holds.pop_front();
            if self.streams.get(&id).is_some_and(|c| c.held.is_some()) {
                tracing::debug!(
                    connection = self.id,
                    stream_id = id.value(),
                    "no answer to Expect: 100-continue; sending the body"
                );
                self.shared.origin.set_continue_ignored(true);
                self.release(id);
            }
        }
    }

    /// Hands the engine's events to their streams and the pool. Returns
    /// whether a caller got its response head or its end (and so may be
    /// about to send the next request).
    fn dispatch_events(&mut self) -> bool {
        let mut answered = false;
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::ResponseReceived { stream_id, head } => {
                    answered = true;
                    self.answer_held(stream_id, head.status);
                    self.on_response(stream_id, head);
                }
                Event::DataReceived { stream_id, data } => {
                    let n = data.len();
                    let delivered = self
                        .streams
                        .get(&stream_id)
                        .and_then(|c| c.body_tx.as_ref())
                        .is_some_and(|tx| tx.send(BodyEvent::Data(data)));
                    if !delivered {
                        // Nobody will read it: give the window back and stop
                        // the stream.
                        self.conn.release_capacity(stream_id, n);
                        self.abandon(stream_id);
                    }
                }
                Event::TrailersReceived { stream_id, trailers } => {
                    if let Some(tx) = self.streams.get(&stream_id).and_then(|c| c.body_tx.as_ref()) {
                        tx.send(BodyEvent::Trailers(trailers));
                    }
                }
                Event::StreamEnded { stream_id } => {
                    answered = true;
                    if let Some(ctx) = self.streams.remove(&stream_id) {
                        if let Some(tx) = ctx.body_tx {
                            tx.send(BodyEvent::End);
                        }
                        self.request_side_after_response(stream_id, ctx.refused, ctx.writable);
                        self.stream_done(true);
                    }
                }
                Event::StreamFailed(f) => {
                    answered = true;
                    self.on_failed(f);
                }
                Event::Writable { stream_id } => {
                    let writable = match self.streams.get(&stream_id) {
                        Some(c) => c.writable.as_ref(),
                        None => self.uploads.get(&stream_id),
                    };
                    if let Some(w) = writable {
                        w.writable();
                    }
                }
                Event::SettingsChanged { max_concurrent_streams } => {
                    tracing::debug!(connection = self.id, max_concurrent_streams, "server SETTINGS applied");
                    self.shared.max.store(max_concurrent_streams as usize, Ordering::Release);
                    self.shared.origin.max_streams.store(max_concurrent_streams as usize, Ordering::Release);
                    self.shared.ready.store(true, Ordering::Release);
                    self.shared.origin.notify.notify_waiters();
                }
                Event::GoAwayReceived(g) => {
                    tracing::info!(
                        connection = self.id,
                        last_stream_id = g.last_stream_id.value(),
                        error_code = %g.error_code,
                        debug_data = %String::from_utf8_lossy(&g.debug_data),
                        open_streams = self.streams.len(),
                        "GOAWAY received; connection draining"
                    );
                    self.stats.go_away(g.error_code.code());
                    if g.error_code == Reason::NO_ERROR {
                        let opened = self.shared.opened.load(Ordering::Acquire);
                        self.shared.origin.budget.observe(g.last_stream_id.value(), opened);
                    }
                    if let Ok(mut slot) = self.shared.go_away.lock() {
                        *slot = Some(g);
                    }
                    self.shared.set_state(DRAINING);
                }
                Event::Closed(cause) => {
                    tracing::debug!(connection = self.id, %cause, "connection closed");
                    if let Ok(mut slot) = self.shared.closed_by.lock() {
                        *slot = Some(cause);
                    }
                    self.shared.set_state(CLOSED);
                }
                Event::InformationalReceived { stream_id, head } => {
                    if head.status == http::StatusCode::CONTINUE {
                        self.shared.origin.set_continue_ignored(false);
                        self.release(stream_id);
                    }
                }
                Event::PingAck { .. } => {}
            }
        }
        // A server's RST_STREAM after a complete response stops the
        // request side without an event (RFC 9113 §8.1): the engine forgets
        // the stream, and its pump is stopped.
        if !self.uploads.is_empty() {
            let conn = &self.conn;
            self.uploads.retain(|id, _| conn.stream_phase(*id).is_some());
        }
        answered
    }

    /// A stream opened on this connection is over, however it ended
    /// (`answered` when its response ended): its slot is free, and the
    /// connection may have carried its last.
    fn stream_done(&mut self, answered: bool) {
        self.shared.unreserve();
        if self.conn.state() != ConnectionState::Closed {
            self.check_limit(answered);
        }
    }

    /// Every stream this connection may carry under the origin's learned
    /// limit is done: close the connection, which takes no more streams.
    /// When the last response ended, whether the server's GOAWAY came by
    /// then is evidence for the budget (and may disprove the limit, which
    /// keeps the connection open). A last stream that failed or was
    /// abandoned says nothing: the server's GOAWAY may have been on its way.
    fn check_limit(&mut self, answered: bool) {
        let budget = &self.shared.origin.budget;
        let carried = budget.limit().is_some_and(|l| self.shared.opened.load(Ordering::Acquire) >= l);
        // `active` counts requests reserved but still on their way here too.
        if self.shared.active.load(Ordering::Acquire) > 0 || !carried {
            return;
        }
        if answered {
            budget.carried(self.conn.last_go_away().is_some());
        }
        if budget.limit().is_some() {
            self.conn.go_away(Reason::NO_ERROR, now());
        } else {
            // Forgotten: this connection can take streams again.
            self.shared.origin.notify.notify_waiters();
        }
    }

    /// A final status answers `Expect: 100-continue` too (RFC 9110
    /// §10.1.1): a 2xx lets the held body go (the server may read it on,
    /// RFC 9113 §8.1); any other status means the body is not wanted, and it
    /// is never sent.
    fn answer_held(&mut self, id: StreamId, status: http::StatusCode) {
        let Some(ctx) = self.streams.get_mut(&id) else { return };
        if ctx.held.is_none() {
            return;
        }
        if status.is_success() {
            self.release(id);
        } else {
            ctx.held = None;
            ctx.refused = true;
        }
    }

    /// The response to `id` is complete; its request side may not be. A
    /// body refused while held is never sent: the stream is reset (CANCEL),
    /// which ends our side without cutting the response, already whole. A
    /// streamed body still going on is left to finish (RFC 9113 §8.1).
    fn request_side_after_response(&mut self, id: StreamId, refused: bool, writable: Option<Upload>) {
        if refused {
            self.conn.reset(id, Reason::CANCEL, now());
            return;
        }
        // The engine keeps a stream whose response is complete only while
        // its request side is still open.
        let sending = self.conn.stream_phase(id).is_some();
        if let Some(w) = writable.filter(|_| sending) {
            self.uploads.insert(id, w);
        }
    }

    fn on_response(&mut self, id: StreamId, head: proto::ResponseHead) {
        // The caller's future holds the client, hence the pool's handle:
        // a strong sender exists while anyone waits for this head.
        let Some(cmd_tx) = self.tx.upgrade() else { return self.abandon(id) };
        let Some(ctx) = self.streams.get_mut(&id) else { return };
        let Some(respond) = ctx.respond.take() else { return };
        let (tx, rx) = body_channel(Box::new(H2Release { tx: cmd_tx, id }));
        ctx.body_tx = Some(tx);
        let mut attempt = ctx.attempt.clone();
        attempt.phase = Phase::ResponseHead;
        attempt.body_sent = self.conn.stream_body_sent(id).unwrap_or(0);
        attempt.go_away = self.conn.last_go_away().cloned();
        let parts = ResponseParts {
            status: head.status,
            headers: head.headers,
            version: Version::HTTP_2,
            body: rx,
            attempt,
        };
        if respond.send(Outcome::Response(parts)).is_err() {
            self.abandon(id);
        }
    }

    fn on_failed(&mut self, f: StreamFailure) {
        let Some(ctx) = self.streams.remove(&f.stream_id) else { return };
        let cause = match &f.cause {
            proto::FailureCause::GoAway(_) => FailureCause::GoAway,
            proto::FailureCause::Reset { reason, initiator: proto::Initiator::Remote, .. } => {
                tracing::info!(connection = self.id, stream_id = f.stream_id.value(), %reason, "RST_STREAM received");
                if *reason == Reason::REFUSED_STREAM {
                    self.stats.refused();
                }
                FailureCause::Reset(reason.code())
            }
            proto::FailureCause::Reset { reason, detail, .. } => {
                FailureCause::Protocol(detail.map_or_else(|| reason.to_string(), str::to_owned))
            }
            proto::FailureCause::ConnectionClosed(c) => FailureCause::Closed(c.to_string()),
            proto::FailureCause::NotOpened => FailureCause::Rejected(f.to_string()),
        };
        let mut attempt = ctx.attempt;
        attempt.phase = f.phase;
        attempt.body_sent = f.body_sent;
        attempt.go_away = f.go_away.clone();
        attempt.error = Some(f.to_string());
        attempt.processing = Some(f.processing);
        let failure = AttemptFailure {
            attempt,
            cause,
            processing: f.processing,
            first_on_connection: ctx.first_on_connection,
        };
        Self::deliver_failure(ctx.respond, ctx.body_tx, failure);
        self.stream_done(false);
    }

    fn deliver_failure(
        respond: Option<oneshot::Sender<Outcome>>,
        body_tx: Option<BodySender>,
        failure: AttemptFailure,
    ) {
        match (respond, body_tx) {
            (Some(respond), _) => {
                let _ = respond.send(Outcome::Failed(failure));
            }
            (None, Some(tx)) => {
                tx.send(BodyEvent::Failed(Box::new(failure)));
            }
            (None, None) => {}
        }
    }

    /// The caller is gone: reset the stream and free its slot.
    fn abandon(&mut self, id: StreamId) {
        if self.streams.remove(&id).is_some() {
            self.conn.reset(id, Reason::CANCEL, now());
            self.stream_done(false);
        }
    }

    /// Resets streams whose caller stopped waiting (timeout or drop).
    fn reap_abandoned(&mut self) {
        let gone: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, c)| c.respond.as_ref().is_some_and(oneshot::Sender::is_closed))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.abandon(id);
        }
    }
}

mod pump;
#[cfg(test)]
mod tests;
