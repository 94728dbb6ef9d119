//! The connection's task: the one place that touches its engine. It reads
//! into the engine, writes what the engine transmits, runs the engine's
//! timers, and takes commands from the handles and responses; writes are
//! batched so one system call carries many requests and window updates.

use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use baton_proto::h2::frame::StreamIdMap;
use baton_proto::h2::{self as proto, Connection, ConnectionState, Reason, StreamId};

use super::command::Cmd;
use super::credit::ConnCredit;
use super::handle::{ClosedOnDrop, H2Handle, H2Shared};
use super::pump::Upload;
use crate::conn::origin::OriginShared;
use crate::conn::shutdown::TaskGuard;
use crate::conn::socket;
use crate::conn::timer::Timer;
use crate::conn::{BodySender, FINAL_FLUSH, Outcome, ReadRoom};
use crate::failure::{AttemptFailure, Cause};
use crate::journal::{Attempt, Processing};
use crate::stats::Counters;

/// Starts a driver for an HTTP/2 transport on one of `origin`'s
/// connections.
pub(crate) fn spawn<IO>(
    io: IO,
    id: u64,
    config: proto::Config,
    origin: Arc<OriginShared>,
    stats: Arc<Counters>,
    task: TaskGuard,
) -> H2Handle
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let shared = Arc::new(H2Shared::new(config.initial_max_concurrent_streams as usize, origin));
    let (tx, rx) = mpsc::unbounded_channel();
    let credit = Arc::new(ConnCredit::new(config.initial_connection_window));
    let driver = Driver {
        conn: Connection::new(config, now()),
        id,
        rx,
        tx: tx.downgrade(),
        shared: shared.clone(),
        credit,
        streams: StreamIdMap::default(),
        uploads: StreamIdMap::default(),
        stats,
    };
    tokio::spawn(driver.run(io, task));
    H2Handle { id, tls_version: None, tx, shared }
}

/// The engine's clock: tokio's, so that paused-time tests move it too.
pub(super) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Per-stream state the driver keeps beside the engine's.
pub(super) struct Ctx {
    /// Where the response head (or the failure before it) goes.
    pub(super) respond: Option<oneshot::Sender<Outcome>>,
    /// Where the response body goes, once the head went out.
    pub(super) body_tx: Option<BodySender>,
    pub(super) attempt: Attempt,
    /// A streamed body's pump (`pump.rs`); dropped, it stops.
    pub(super) writable: Option<Upload>,
    pub(super) first_on_connection: bool,
}

pub(super) struct Driver {
    pub(super) conn: Connection,
    pub(super) id: u64,
    rx: mpsc::UnboundedReceiver<Cmd>,
    /// Weak, so that `rx` ends once the pool and every response have let go
    /// of the connection; the driver then says GOAWAY and closes.
    pub(super) tx: mpsc::WeakUnboundedSender<Cmd>,
    pub(super) shared: Arc<H2Shared>,
    /// What ended bodies handed back, taken in on every turn.
    pub(super) credit: Arc<ConnCredit>,
    pub(super) streams: StreamIdMap<Ctx>,
    /// Streamed uploads still going after their response was complete
    /// (RFC 9113 §8.1: the server did not ask to stop them), so the
    /// engine's `Writable` still reaches their pump.
    pub(super) uploads: StreamIdMap<Upload>,
    pub(super) stats: Arc<Counters>,
}

/// Reads and commands the driver takes in a row, while bytes wait to be
/// written, before the write is tried first: a server streaming faster than
/// we read must not hold back our WINDOW_UPDATEs, nor a flood of commands
/// the requests already queued.
const MAX_BEFORE_WRITE: u32 = 4;

/// The most room the driver makes for one read: eight 16 KiB DATA frames
/// (RFC 9113 §4.2's default SETTINGS_MAX_FRAME_SIZE). A chunk stays
/// allocated while a response body holds any of its bytes, yet 64 KiB
/// kept more memory, not less (likely because a 64 KiB body and its
/// frames' headers are just over 64 KiB, so a body mostly held parts of
/// two chunks, and the allocator's heap grew in between). Measured at 64
/// streams of 64 KiB bodies, baton-lib, 50,000 requests, medians of 7
/// alternating runs: on two workers peak RSS 13.5 MB at 64 KiB and 6.1 MB
/// at 128 KiB, CPU 34.4 and 30.0 µs per request (20,000 requests: 1.80
/// and 1.48 reads per request); on one thread 9.4 and 9.0 MB, 25.8 and
/// 25.0 µs. 100-byte bodies read no differently (the room adapts down).
const READ_ROOM_MAX: usize = 128 << 10;

/// The most unwritten and newly queued bytes copied together into one
/// write.
const MERGE_LIMIT: usize = 64 << 10;

/// What one wait of the driver's loop found first.
enum Turn {
    Read(std::io::Result<usize>),
    /// A command; `None` once no handle or response is left to send one.
    Command(Option<Cmd>),
    Timer,
    Written(std::io::Result<usize>),
}

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
    /// The task; `_task` counts it among the client's running connection
    /// tasks until it ends.
    async fn run<IO: AsyncRead + AsyncWrite>(mut self, io: IO, _task: TaskGuard) {
        // However the task ends, dropped with a runtime that shuts down
        // included, the pool must see the connection closed: a handle left
        // open would take requests that no driver reads.
        let _closed = ClosedOnDrop(self.shared.clone());
        // Owned whole and polled in the driver's own order below, without
        // `tokio::io::split`'s lock (`conn/socket.rs`).
        let mut io = std::pin::pin!(io);
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
        // One timer for the engine's deadlines, not one per turn of this
        // loop (`conn/timer.rs`): a deadline that moves with traffic (the
        // keep-alive PING's, the idle one) made every turn register a new
        // one. Fired early, `handle_timeout` finds nothing due (it runs only
        // what is).
        let mut timer = Timer::new();
        loop {
            // Once closed, the engine withdraws the frames it handed out
            // behind the one in progress: their streams were failed as not
            // sent and may be retried elsewhere, so they must not go out.
            pending.truncate(self.conn.taken_to_write());
            self.take_credit();
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
                let _ = tokio::time::timeout(FINAL_FLUSH, io.shutdown()).await;
                break;
            }
            let mut deadline = self.conn.poll_timeout().map(tokio::time::Instant::from_std);
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
            timer.by(deadline);
            let spare = room.prepare(self.conn.recv_buf());
            let writing = !pending.is_empty();
            if !writing {
                before_write = 0;
            }
            // The write's turn: it is tried first. If the socket is full,
            // the rest are polled as always (a server may not read before
            // we do).
            let write_first = writing && before_write >= MAX_BEFORE_WRITE;
            before_write += 1;
            // Otherwise in this order: everything the server sent and every
            // command already queued is taken in before a write, so the
            // write carries all it can (one `sendto` for many requests and
            // window updates, where a fair choice wrote one request each).
            let turn = std::future::poll_fn(|cx| {
                // (No `let` chain here: the library builds with Rust 1.85.)
                if write_first {
                    if let Poll::Ready(written) = io.as_mut().poll_write(cx, &pending) {
                        return Poll::Ready(Turn::Written(written));
                    }
                }
                if !closed {
                    if let Poll::Ready(read) = socket::poll_read_buf(&mut io, cx, self.conn.recv_buf()) {
                        return Poll::Ready(Turn::Read(read));
                    }
                }
                if !handles_gone {
                    if let Poll::Ready(cmd) = self.rx.poll_recv(cx) {
                        return Poll::Ready(Turn::Command(cmd));
                    }
                }
                if timer.is_set() && timer.poll_fired(cx).is_ready() {
                    return Poll::Ready(Turn::Timer);
                }
                if writing && !write_first {
                    if let Poll::Ready(written) = io.as_mut().poll_write(cx, &pending) {
                        return Poll::Ready(Turn::Written(written));
                    }
                }
                Poll::Pending
            })
            .await;
            match turn {
                Turn::Read(Ok(0)) => self.conn.handle_eof(now()),
                Turn::Read(Ok(n)) => {
                    room.read(n, spare);
                    self.conn.handle_received(now());
                }
                Turn::Read(Err(e)) => self.conn.handle_transport_error(e.to_string(), now()),
                Turn::Command(Some(cmd)) => {
                    let mut at = None;
                    self.command(cmd, &mut at);
                    self.drain_commands(&mut at);
                }
                Turn::Command(None) => {
                    // Nobody can send on this connection any more.
                    handles_gone = true;
                    self.conn.go_away(Reason::NO_ERROR, now());
                }
                Turn::Timer => self.conn.handle_timeout(now()),
                Turn::Written(written) => {
                    before_write = 0;
                    write_failed = self.wrote(written, &mut pending);
                }
            }
            if self.dispatch_events() >= 2 && !handles_gone {
                // Responses were handed to their callers. Let the tasks just
                // woken on this worker run first: their next requests (and
                // their window releases) then go out in one write with
                // whatever else is queued, not in one write each. Muted, so
                // that the first of those commands does not wake this task
                // straight away (the runtime would run it next, and it would
                // write that one request alone).
                //
                // Not for one caller: its next request is all a wait would
                // gather, and on the multi-thread runtime the wait cost more
                // than it saved (tokio resumes a yielded task only once its
                // worker has run out of tasks and polled for I/O, and the
                // other worker was woken more often meanwhile). Measured at
                // 64 streams on one connection, two workers: 0.78 context
                // switches per request instead of 1.15, CPU 9% less at 100 B
                // and 8% at 64 KiB; one thread unchanged.
                self.mute_commands();
                tokio::task::yield_now().await;
                self.drain_commands(&mut None);
                self.dispatch_events();
            }
        }
        self.shared.set_state(ConnectionState::Closed);
        // Anything still waiting was failed by the engine's Closed path;
        // this only covers commands that raced the close.
        let mut at = None;
        while let Ok(cmd) = self.rx.try_recv() {
            self.command(cmd, &mut at);
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
        let mut at = None;
        for _ in 0..1024 {
            match self.rx.poll_recv(&mut cx) {
                Poll::Ready(Some(cmd)) => self.command(cmd, &mut at),
                // `None` (no handles left) is seen by the next `select!`.
                Poll::Ready(None) | Poll::Pending => return,
            }
        }
    }

    /// Takes in the credit ended bodies handed back (`credit.rs`).
    fn take_credit(&mut self) {
        let n = self.credit.take();
        if n > 0 {
            self.conn.release_connection_capacity(n);
        }
    }

    /// Takes every command already queued, so they share one write.
    fn drain_commands(&mut self, at: &mut Option<Instant>) {
        // Bounded, so a flood of commands cannot starve reads and timers.
        for _ in 0..1024 {
            match self.rx.try_recv() {
                Ok(cmd) => self.command(cmd, at),
                Err(_) => return,
            }
        }
    }

    /// Takes one command. `at` is the clock of the batch it came in: read
    /// once, at the first request that needs it, and shared by the rest (a
    /// clock read is a measurable part of a small request's cost; the
    /// engine's deadlines are kept in milliseconds and up).
    fn command(&mut self, cmd: Cmd, at: &mut Option<Instant>) {
        match cmd {
            Cmd::Request(req) => self.start(req, *at.get_or_insert_with(now)),
            Cmd::Data(id, data, end) => {
                if end {
                    self.uploads.remove(&id);
                }
                let _ = self.conn.send_data(id, data, end);
            }
            Cmd::BodyFailed(id, why) => self.body_failed(id, why),
            Cmd::Release(id, n) => self.conn.release_capacity(id, n),
            Cmd::Credit => self.take_credit(),
            Cmd::Cancel(id) => self.abandon(id),
            Cmd::Reap => self.reap_abandoned(),
            Cmd::Shutdown(deadline) => self.conn.go_away_until(deadline, now()),
        }
    }

    /// A streamed body's source failed: the stream is reset, and the
    /// request fails as the body's fault with how far it got, read before
    /// the reset forgets the stream.
    fn body_failed(&mut self, id: StreamId, why: String) {
        self.uploads.remove(&id);
        let phase = self.conn.stream_phase(id);
        let body_sent = self.conn.stream_body_sent(id);
        self.conn.reset(id, Reason::CANCEL, now());
        if let Some(ctx) = self.streams.remove(&id) {
            let phase = phase.unwrap_or(ctx.attempt.phase);
            let body_sent = body_sent.unwrap_or(ctx.attempt.body_sent);
            let attempt = Attempt { phase, body_sent, ..ctx.attempt };
            let verdict = Processing::classify(phase, false);
            let failure = AttemptFailure::new(attempt, Cause::Body(why), verdict, ctx.first_on_connection);
            self.stream_done(false);
            Self::deliver_failure(ctx.respond, ctx.body_tx, failure);
        }
    }
}
