//! Hostile HTTP/2 peers, end to end through `baton::Client` on 127.0.0.1.
//!
//! Each case runs a script server (crates/lab/src/script) that misbehaves on
//! purpose, and checks three things:
//! - the request it concerns ends in a clear error (the engine's reason is
//!   checked in the client's error and, where the client must say it on the
//!   wire, in the RST_STREAM or GOAWAY the server receives);
//! - in bounded time and memory: the bytes allocated by the whole test
//!   process above the case's baseline (a counting global allocator) stay
//!   under 16 MiB;
//! - the same `Client` keeps working against a well-behaved server of
//!   another origin (a `baton_lab::Lab` with `Scenario::Normal`): a request
//!   made before the attack and one made after it go over the same, still
//!   open, connection.
//!
//! Cases that can only end by a timeout (zero window, trickle) run with
//! tokio's paused clock; see `tests/common/mod.rs` for how they keep it deterministic.
//!
//! `cargo test -p baton --test hostile -- --nocapture` prints one `HOSTILE`
//! line per case: the error, the time to error, the peak memory.

mod common;

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use baton::{Client, Processing, RetryPolicy, Violation};
use baton_lab::script::{Frame, Reason, ScriptConn, ScriptServer, Settings, frames};
use baton_lab::{Lab, LabOptions, Scenario};
use bytes::Bytes;
use common::stay_awake;
use peak_alloc::PeakAlloc;
use tokio::task::JoinHandle;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// The cases run one at a time, so each peak is the case's own.
static SERIAL: Mutex<()> = Mutex::new(());

/// What any case may allocate above its baseline.
const MEMORY_BOUND: usize = 16 << 20;

/// How long any case may take on the wall clock (the 2-core machine is
/// shared; every case takes well under a second when it passes).
const WALL_BOUND: Duration = Duration::from_secs(10);

/// Runs one case on its own current-thread runtime (paused clock or not),
/// alone: the lock is held until the runtime, and everything the case
/// spawned on it, is gone, so no other case's allocations or frees fall
/// inside its measurement.
fn run<F: Future<Output = ()>>(paused: bool, case: impl FnOnce() -> F) {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    // The lab's shared 16 MiB response buffer is made once per process, by
    // whichever case asks first: not a cost of that case.
    let _ = baton_lab::routes::fill(1);
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all().start_paused(paused);
    let runtime = builder.build().unwrap();
    runtime.block_on(case());
    drop(runtime);
}

/// The engine's default limits, which the floods are sized against.
fn limits() -> baton_proto::h2::Config {
    baton_proto::h2::Config::default()
}

/// One case: holds the lock, the memory baseline and the clocks.
struct Case {
    name: &'static str,
    baseline: usize,
    wall: std::time::Instant,
    clock: tokio::time::Instant,
}

impl Case {
    /// Call inside [`run`], first thing.
    fn start(name: &'static str) -> Self {
        ALLOC.reset_peak_usage();
        Self {
            name,
            baseline: ALLOC.current_usage(),
            wall: std::time::Instant::now(),
            clock: tokio::time::Instant::now(),
        }
    }

    /// Restarts the clocks (not the memory baseline): call right before the
    /// request the case is about.
    fn restart_clock(&mut self) {
        self.wall = std::time::Instant::now();
        self.clock = tokio::time::Instant::now();
    }

    /// The time since [`Self::restart_clock`]: wall clock and tokio clock
    /// (they differ in paused-time cases).
    fn elapsed(&self) -> Elapsed {
        Elapsed { wall: self.wall.elapsed(), clock: self.clock.elapsed() }
    }

    /// The case's request: restarts the clocks, GETs `url` and returns the
    /// error it ends in (the request's own, or with [`FailsIn::Body`] that
    /// of reading the body after a good head), and the time it took.
    async fn failing_get(
        &mut self,
        client: &Client,
        url: &str,
        fails_in: FailsIn,
    ) -> (baton::Error, Elapsed) {
        self.restart_clock();
        let err = match fails_in {
            FailsIn::Request => client.get(url).send().await.unwrap_err(),
            FailsIn::Body => client.get(url).send().await.unwrap().bytes().await.unwrap_err(),
        };
        (err, self.elapsed())
    }

    /// The epilogue every case shares: the well-behaved origin still
    /// answers, over the connection it had before the attack (unless
    /// `fresh_ok`: paused-time cases jump the clock by minutes, past the
    /// lab's own idle handling); then the case's line, and its memory and
    /// time bounds.
    async fn finish(self, client: &Client, lab: Lab, fresh_ok: bool, error: &str, took: Elapsed) {
        let resp = client.get(lab.url("/bytes/1000")).send().await.unwrap();
        assert!(fresh_ok || resp.attempts()[0].reused, "the other connection was torn down");
        assert_eq!(resp.bytes().await.unwrap().len(), 1000);
        lab.stop().await;
        self.report(error, took);
    }

    /// Prints the case's line and checks the memory and time bounds.
    fn report(self, error: &str, took: Elapsed) {
        let peak = ALLOC.peak_usage().saturating_sub(self.baseline);
        println!(
            "HOSTILE | {:<34} | {:>8.1} ms wall | {:>9.1} ms clock | peak {:>6} KiB | other origin OK | {}",
            self.name,
            took.wall.as_secs_f64() * 1e3,
            took.clock.as_secs_f64() * 1e3,
            peak >> 10,
            error,
        );
        assert!(peak < MEMORY_BOUND, "{}: {peak} bytes above the baseline", self.name);
        assert!(took.wall < WALL_BOUND, "{}: took {:?}", self.name, took.wall);
    }
}

/// Where an attack's error surfaces.
#[derive(Debug, Clone, Copy)]
enum FailsIn {
    /// The request fails: no response head.
    Request,
    /// The head arrives; reading the body fails.
    Body,
}

#[derive(Debug, Clone, Copy)]
struct Elapsed {
    wall: Duration,
    clock: Duration,
}

fn client() -> Client {
    // No retries: each case is about the one attempt the hostile peer gets.
    Client::builder().http2_prior_knowledge().retry(RetryPolicy::never()).build().unwrap()
}

/// The well-behaved origin, with one request already served (so the pool
/// holds a connection to it).
async fn good_origin(client: &Client) -> Lab {
    let lab = Lab::start(LabOptions::new(Scenario::Normal)).await.unwrap();
    let resp = client.get(lab.url("/bytes/100")).send().await.unwrap();
    assert!(!resp.attempts()[0].reused);
    assert_eq!(resp.bytes().await.unwrap().len(), 100);
    lab
}

/// The prologue every case shares: the well-behaved origin with one request
/// served over `client` ([`good_origin`]), and a script server whose first
/// connection, handshaken with `settings`, runs `script` in a task. With
/// `patience`, the server waits that long for the client (paused-time
/// cases). Returns the origin, the script server's URL for `path`, and the
/// script's task.
async fn attack<T, F>(
    client: &Client,
    path: &str,
    settings: Settings,
    patience: Option<Duration>,
    script: impl FnOnce(ScriptConn) -> F + Send + 'static,
) -> (Lab, String, JoinHandle<T>)
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let lab = good_origin(client).await;
    let mut server = ScriptServer::bind().await.unwrap();
    if let Some(patience) = patience {
        server = server.with_timeout(patience);
    }
    let url = format!("{}{path}", server.url());
    let task = tokio::spawn(async move {
        let mut conn = server.accept().await.unwrap();
        conn.handshake(settings).await.unwrap();
        script(conn).await
    });
    (lab, url, task)
}

/// Reads the client's frames until its GOAWAY, then until it closes the
/// connection; returns the GOAWAY's error code.
async fn closed_with_go_away(conn: &mut ScriptConn) -> Reason {
    let reason = recv_go_away(conn).await;
    conn.expect_eof().await.unwrap();
    reason
}

/// Reads the client's frames until its GOAWAY and returns its error code.
async fn recv_go_away(conn: &mut ScriptConn) -> Reason {
    loop {
        match conn.recv_frame().await.unwrap() {
            Some(Frame::GoAway(g)) => return g.error_code,
            Some(_) => {}
            None => panic!("the client closed without GOAWAY"),
        }
    }
}

/// Reads the client's frames until a RST_STREAM for `stream` and returns its
/// error code.
async fn recv_rst(conn: &mut ScriptConn, stream: u32) -> Reason {
    loop {
        match conn.recv_frame().await.unwrap() {
            Some(Frame::RstStream(r)) if r.stream_id.value() == stream => return r.reason,
            Some(_) => {}
            None => panic!("the client closed without RST_STREAM on stream {stream}"),
        }
    }
}

/// A response head without END_STREAM (it counts as progress, so every
/// flood after it starts from zero).
async fn send_head(conn: &mut ScriptConn, stream: u32) {
    let head = conn.headers(stream, &[(":status", "200")], false);
    conn.send(head).await.unwrap();
}

/// A flood of `frame` that starts right after a response head on stream 1:
/// exactly the engine's limit plus one, so the client has read every byte
/// when it closes (no RST races the GOAWAY), then the client's GOAWAY.
async fn flood_after_head(case: &'static str, frame: Frame) {
    let mut case = Case::start(case);
    let client = client();
    let count = limits().max_control_frames_in_a_row as usize + 1;
    let (lab, url, script) =
        attack(&client, "/flood", Settings::default(), None, move |mut conn| async move {
            conn.recv_request_head().await.unwrap();
            send_head(&mut conn, 1).await;
            conn.send_raw(&frames::repeated(&frame, count)).await.unwrap();
            closed_with_go_away(&mut conn).await
        })
        .await;
    let (err, took) = case.failing_get(&client, &url, FailsIn::Body).await;
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(err.processing(), Some(Processing::ResponseStarted), "{err}");
    let msg = err.to_string();
    assert_eq!(err.violation(), Some(&Violation::ControlFrameFlood), "{msg}");
    assert_eq!(err.reason(), Some(Reason::ENHANCE_YOUR_CALM), "{msg}");
    assert_eq!(script.await.unwrap(), Reason::ENHANCE_YOUR_CALM);
    case.finish(&client, lab, false, &msg, took).await;
}

#[test]
fn ping_flood() {
    run(false, || flood_after_head("PING flood", frames::ping([7; 8])));
}

#[test]
fn settings_flood() {
    run(false, || flood_after_head("SETTINGS flood", frames::settings()));
}

#[test]
fn empty_data_flood() {
    run(false, || flood_after_head("empty DATA flood", frames::data(1, b"", false)));
}

/// RST_STREAM on a stream the client already closed (the response was
/// complete) is legal once (RFC 9113 §5.1 "closed"), but a flood of them is
/// no progress.
#[test]
fn rst_stream_flood() {
    run(false, || async {
        let mut case = Case::start("RST_STREAM flood (closed stream)");
        let client = client();
        let count = limits().max_control_frames_in_a_row as usize + 1;
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let (lab, url, script) =
            attack(&client, "/flood", Settings::default(), None, move |mut conn| async move {
                conn.recv_request().await.unwrap();
                conn.respond(1, 200, b"first").await.unwrap();
                conn.recv_request_head().await.unwrap();
                // Stream 3 is open and waiting for its head; stream 1 is closed.
                conn.send_raw(&frames::repeated(&frames::rst(1, Reason::CANCEL), count)).await.unwrap();
                let reason = closed_with_go_away(&mut conn).await;
                let _ = done_rx.await;
                reason
            })
            .await;
        assert_eq!(client.get(&url).send().await.unwrap().text().await.unwrap(), "first");
        let (err, took) = case.failing_get(&client, &url, FailsIn::Request).await;
        let msg = err.to_string();
        assert_eq!(err.violation(), Some(&Violation::ControlFrameFlood), "{msg}");
        assert_eq!(err.reason(), Some(Reason::ENHANCE_YOUR_CALM), "{msg}");
        // The head was written, nothing came back: the server may have acted.
        assert_eq!(err.processing(), Some(Processing::MaybeProcessed), "{err}");
        let _ = done_tx.send(());
        assert_eq!(script.await.unwrap(), Reason::ENHANCE_YOUR_CALM);
        case.finish(&client, lab, false, &msg, took).await;
    });
}

/// CONTINUATION flood (the CVE-2024-27316 family), counted in frames: tiny
/// fragments that never end the field block.
#[test]
fn continuation_flood_by_count() {
    run(false, || async {
        let count = limits().max_continuation_frames as usize + 1;
        continuation_flood("CONTINUATION flood (1-byte frames)", Bytes::from_static(b"\x88"), count).await;
    });
}

/// CONTINUATION flood counted in bytes: full-size fragments.
#[test]
fn continuation_flood_by_size() {
    run(false, || async {
        // The engine's bound: max_header_list_size + 16 KiB of compressed block.
        let fragment = Bytes::from(vec![0x88; 16_384]);
        let count = (limits().max_header_list_size as usize + 16_384) / 16_384 + 1;
        continuation_flood("CONTINUATION flood (16 KiB frames)", fragment, count).await;
    });
}

async fn continuation_flood(name: &'static str, fragment: Bytes, count: usize) {
    let mut case = Case::start(name);
    let client = client();
    let (lab, url, script) =
        attack(&client, "/headers", Settings::default(), None, move |mut conn| async move {
            conn.recv_request_head().await.unwrap();
            let head = frames::headers_fragment(1, fragment.clone(), false, false);
            let more = frames::continuation(1, fragment, false);
            let mut bytes = bytes::BytesMut::new();
            head.encode(&mut bytes);
            bytes.extend_from_slice(&frames::repeated(&more, count));
            conn.send_raw(&bytes).await.unwrap();
            closed_with_go_away(&mut conn).await
        })
        .await;
    let (err, took) = case.failing_get(&client, &url, FailsIn::Request).await;
    let msg = err.to_string();
    assert_eq!(err.violation(), Some(&Violation::FieldBlockTooLarge), "{msg}");
    assert_eq!(err.reason(), Some(Reason::ENHANCE_YOUR_CALM), "{msg}");
    assert_eq!(err.processing(), Some(Processing::MaybeProcessed), "{err}");
    assert_eq!(script.await.unwrap(), Reason::ENHANCE_YOUR_CALM);
    case.finish(&client, lab, false, &msg, took).await;
}

/// An HPACK bomb: 12,000 one-byte references to a 4,000-byte dynamic table
/// entry, a 16 KiB block that decodes to about 48 MB of header list. The
/// stream is cancelled (RFC 9113 §10.5.1: the list is over the
/// SETTINGS_MAX_HEADER_LIST_SIZE we advertised) without materialising it,
/// and the connection goes on: the next stream on it gets its response.
#[test]
fn hpack_bomb() {
    run(false, || async {
        let mut case = Case::start("HPACK bomb (16 KiB -> 48 MB)");
        let client = client();
        let (lab, url, script) =
            attack(&client, "/bomb", Settings::default(), None, move |mut conn| async move {
                conn.recv_request_head().await.unwrap();
                let mut block = bytes::BytesMut::from(&b"\x88"[..]); // :status: 200
                block.extend_from_slice(&frames::hpack_bomb("x-bomb", 4_000, 12_000));
                assert!(block.len() <= 16_384);
                conn.send(frames::headers_fragment(1, block.freeze(), true, true)).await.unwrap();
                let reason = recv_rst(&mut conn, 1).await;
                // Static table only: the bomb changed the client's dynamic table
                // behind this connection's encoder.
                conn.recv_request_head().await.unwrap();
                conn.send(frames::headers_fragment(3, Bytes::from_static(b"\x88"), true, true))
                    .await
                    .unwrap();
                reason
            })
            .await;
        let (err, took) = case.failing_get(&client, &url, FailsIn::Request).await;
        let msg = err.to_string();
        assert_eq!(err.violation(), Some(&Violation::ResponseHeadersTooLarge), "{msg}");
        assert!(!script.is_finished());
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.attempts()[0].reused, "the bomb cost one stream, not the connection");
        assert_eq!(script.await.unwrap(), Reason::CANCEL);
        case.finish(&client, lab, false, &msg, took).await;
    });
}

/// WINDOW_UPDATE taking a window past 2^31-1 (RFC 9113 §6.9.1): on a stream
/// it is a stream error, on the connection a connection error, both
/// FLOW_CONTROL_ERROR. After the stream error the client retires that
/// connection (GOAWAY NO_ERROR): the next request opens another.
#[test]
fn window_overflow() {
    run(false, || async {
        let mut case = Case::start("window overflow (stream, then conn)");
        let client = client();
        let lab = good_origin(&client).await;
        let server = ScriptServer::bind().await.unwrap();
        let url = format!("{}/window", server.url());
        let script = tokio::spawn(async move {
            let mut conn = server.accept().await.unwrap();
            conn.handshake(Settings::default()).await.unwrap();
            conn.recv_request_head().await.unwrap();
            conn.send(frames::window_update(1, 0x7fff_ffff)).await.unwrap();
            let stream = recv_rst(&mut conn, 1).await;
            assert_eq!(recv_go_away(&mut conn).await, Reason::NO_ERROR, "the connection is retired");
            let mut conn = server.accept().await.unwrap();
            conn.handshake(Settings::default()).await.unwrap();
            conn.recv_request_head().await.unwrap();
            conn.send(frames::window_update(0, 0x7fff_ffff)).await.unwrap();
            let connection = recv_go_away(&mut conn).await;
            conn.expect_eof().await.unwrap();
            (stream, connection)
        });
        case.restart_clock();
        let err = client.get(&url).send().await.unwrap_err();
        let msg1 = err.to_string();
        assert_eq!(err.violation(), Some(&Violation::StreamWindowOverflow), "{msg1}");
        let err = client.get(&url).send().await.unwrap_err();
        let took = case.elapsed();
        let msg2 = err.to_string();
        assert_eq!(err.violation(), Some(&Violation::ConnectionWindowOverflow), "{msg2}");
        assert_eq!(err.reason(), Some(Reason::FLOW_CONTROL_ERROR), "{msg2}");
        let (stream, connection) = script.await.unwrap();
        assert_eq!((stream, connection), (Reason::FLOW_CONTROL_ERROR, Reason::FLOW_CONTROL_ERROR));
        case.finish(&client, lab, false, &format!("{msg1} / {msg2}"), took).await;
    });
}

/// A frame header declaring 16 MiB - 1 bytes, over the 16,384 we allow
/// (RFC 9113 §4.2: FRAME_SIZE_ERROR). The client must not wait for, or
/// buffer, the payload.
#[test]
fn oversized_frame() {
    run(false, || async {
        let mut case = Case::start("oversized frame (16 MiB DATA)");
        let client = client();
        let (lab, url, script) =
            attack(&client, "/big", Settings::default(), None, move |mut conn| async move {
                conn.recv_request_head().await.unwrap();
                send_head(&mut conn, 1).await;
                let mut bytes = frames::raw_head(0xff_ffff, 0x0, 0, 1).to_vec();
                bytes.extend_from_slice(&[0; 1000]);
                conn.send_raw(&bytes).await.unwrap();
                // The rest of the payload is never sent: the client ends anyway.
                closed_with_go_away(&mut conn).await
            })
            .await;
        let (err, took) = case.failing_get(&client, &url, FailsIn::Body).await;
        let msg = err.to_string();
        assert!(matches!(err.violation(), Some(Violation::Frame(_))), "{msg}");
        assert_eq!(err.reason(), Some(Reason::FRAME_SIZE_ERROR), "{msg}");
        assert_eq!(script.await.unwrap(), Reason::FRAME_SIZE_ERROR);
        case.finish(&client, lab, false, &msg, took).await;
    });
}

/// Response heads with missing or invalid pseudo-headers (RFC 9113 §8.3,
/// §8.1.1): each is a stream error PROTOCOL_ERROR, and the client retires
/// the connection that carried it (GOAWAY NO_ERROR): each next request
/// goes to a new connection.
#[test]
fn invalid_pseudo_headers() {
    run(false, || async {
        let mut case = Case::start("invalid/missing pseudo-headers");
        let client = client();
        let lab = good_origin(&client).await;
        let server = ScriptServer::bind().await.unwrap();
        let url = format!("{}/pseudo", server.url());
        let heads: Vec<Vec<(&'static str, &'static str)>> = vec![
            vec![("content-type", "text/plain")],              // no :status
            vec![(":status", "200"), (":path", "/")],          // a request pseudo-header
            vec![("x-a", "b"), (":status", "200")],            // pseudo-header after a field
            vec![(":status", "20x")],                          // not a status code
            vec![(":status", "200"), (":status", "204")],      // twice
            vec![(":status", "200"), ("connection", "close")], // connection-specific field
        ];
        let n = heads.len();
        let script = tokio::spawn(async move {
            let mut reasons = Vec::new();
            for fields in &heads {
                let mut conn = server.accept().await.unwrap();
                conn.handshake(Settings::default()).await.unwrap();
                conn.recv_request_head().await.unwrap();
                let head = conn.headers(1, fields, true);
                conn.send(head).await.unwrap();
                reasons.push(recv_rst(&mut conn, 1).await);
                assert_eq!(recv_go_away(&mut conn).await, Reason::NO_ERROR, "the connection is retired");
            }
            let mut conn = server.accept().await.unwrap();
            conn.handshake(Settings::default()).await.unwrap();
            conn.recv_request_head().await.unwrap();
            conn.respond(1, 200, b"fine").await.unwrap();
            reasons
        });
        case.restart_clock();
        let mut messages = Vec::new();
        for _ in 0..n {
            let err = client.get(&url).send().await.unwrap_err();
            assert_eq!(err.processing(), Some(Processing::MaybeProcessed), "{err}");
            let msg = err.to_string();
            assert!(matches!(err.violation(), Some(Violation::MalformedResponse(_))), "{msg}");
            assert_eq!(err.reason(), Some(Reason::PROTOCOL_ERROR), "{msg}");
            messages.push(msg);
        }
        let took = case.elapsed();
        let resp = client.get(&url).send().await.unwrap();
        assert!(!resp.attempts()[0].reused, "a new connection");
        assert_eq!(resp.text().await.unwrap(), "fine");
        assert_eq!(script.await.unwrap(), vec![Reason::PROTOCOL_ERROR; n]);
        case.finish(&client, lab, false, &messages.join(" / "), took).await;
    });
}

/// DATA on a stream the server already ended (RFC 9113 §5.1 "closed": "An
/// endpoint that receives any frames after receiving a frame with the
/// END_STREAM flag set MUST treat that as a connection error ... of type
/// STREAM_CLOSED"): the client closes with GOAWAY(STREAM_CLOSED), reads
/// none of the 16 MiB that follows into memory, and sends no RST_STREAM on
/// the closed stream. The next request goes to a new connection.
#[test]
fn data_on_a_closed_stream() {
    run(false, || async {
        let mut case = Case::start("DATA on a closed stream");
        let client = client();
        let lab = good_origin(&client).await;
        let server = ScriptServer::bind().await.unwrap();
        let url = format!("{}/late", server.url());
        let (closed_tx, closed) = tokio::sync::oneshot::channel();
        let script = tokio::spawn(async move {
            let mut conn = server.accept().await.unwrap();
            conn.handshake(Settings::default()).await.unwrap();
            conn.recv_request_head().await.unwrap();
            conn.respond(1, 200, b"done").await.unwrap();
            // 1,000 more 16 KiB frames: 16 MiB, the connection window's worth.
            // (One frame's bytes, sent again and again: the test process's
            // own allocations count too.)
            let late = frames::repeated(&frames::data(1, &[0; 16_384], false), 1);
            for _ in 0..1_000 {
                // The client closes at the first frame: later writes fail.
                if conn.send_raw(&late).await.is_err() {
                    break;
                }
            }
            let mut rst = false;
            let reason = loop {
                match conn.recv_frame().await {
                    Ok(Some(Frame::GoAway(g))) => break g.error_code,
                    Ok(Some(Frame::RstStream(_))) => rst = true,
                    Ok(Some(_)) => {}
                    other => panic!("the client closed without GOAWAY: {other:?}"),
                }
            };
            let _ = closed_tx.send((reason, rst));
            let mut conn = server.accept().await.unwrap();
            conn.handshake(Settings::default()).await.unwrap();
            conn.recv_request_head().await.unwrap();
            conn.respond(1, 200, b"next").await.unwrap();
        });
        case.restart_clock();
        let resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "done");
        // The next request once the client has closed that connection (this
        // client does not retry, and one sent on the closing connection
        // would fail as not sent).
        let (reason, rst) = closed.await.unwrap();
        let resp = client.get(&url).send().await.unwrap();
        assert!(!resp.attempts()[0].reused, "a new connection");
        assert_eq!(resp.text().await.unwrap(), "next");
        script.await.unwrap();
        let took = case.elapsed();
        assert_eq!(reason, Reason::STREAM_CLOSED);
        assert!(!rst, "RST_STREAM sent on a closed stream");
        case.finish(
            &client,
            lab,
            false,
            "GOAWAY(STREAM_CLOSED) on the wire; the next request on a new connection",
            took,
        )
        .await;
    });
}

/// A PING flood that resets the no-progress count with one byte of DATA
/// every 5,000 PINGs, from a server that never reads: every PING ACK the
/// client owes stays queued in its write buffer.
///
/// The client bounds what it queues for a peer that does not
/// read (RFC 9113 §10.5: "an endpoint that doesn't monitor use of [PING,
/// SETTINGS] exposes itself to a risk of denial of service"), closing with
/// ENHANCE_YOUR_CALM (the engine's `max_write_backlog`, 1 MiB).
#[test]
fn ping_flood_interleaved_with_data_and_never_read() {
    run(false, || async {
        let mut case = Case::start("PING flood + DATA, never read");
        let client = client();
        let (lab, url, script) =
            attack(&client, "/pings", Settings::default(), None, move |mut conn| async move {
                conn.recv_request_head().await.unwrap();
                send_head(&mut conn, 1).await;
                let mut round = bytes::BytesMut::from(&frames::repeated(&frames::ping([9; 8]), 5_000)[..]);
                frames::data(1, b"x", false).encode(&mut round);
                // 2,000 rounds: 170 MB of PING ACKs owed if nothing stops it.
                // The client stops reading (or closes) once it has queued
                // enough; a write then blocks until the script's timeout.
                for _ in 0..2_000 {
                    if conn.send_raw(&round).await.is_err() {
                        break;
                    }
                }
            })
            .await;
        let (err, took) = case.failing_get(&client, &url, FailsIn::Body).await;
        let msg = err.to_string();
        assert_eq!(err.violation(), Some(&Violation::AnswersNotRead), "{msg}");
        assert_eq!(err.reason(), Some(Reason::ENHANCE_YOUR_CALM), "{msg}");
        script.abort();
        case.finish(&client, lab, false, &msg, took).await;
    });
}

// ----- cases that end by a timeout, on tokio's paused clock ------------------

/// A server that never opens its window (SETTINGS_INITIAL_WINDOW_SIZE 0,
/// no WINDOW_UPDATE) for an upload, and never answers a PING. With a total
/// timeout the request ends at it; without one, the keep-alive PING finds
/// the server silent and ends the connection after 5 s + 5 s; without that
/// too, the engine's send-stall limit (30 s) ends the stream.
#[test]
fn zero_window_forever() {
    #[derive(Clone, Copy, PartialEq)]
    enum Ends {
        Total(Duration),
        KeepAlive,
        Stall,
    }
    run(true, || async {
        for (name, ends) in [
            ("zero window, total timeout 5 s", Ends::Total(Duration::from_secs(5))),
            ("zero window, keep-alive PING unanswered", Ends::KeepAlive),
            ("zero window, engine stall limit", Ends::Stall),
        ] {
            let mut case = Case::start(name);
            let awake = stay_awake();
            let client = if ends == Ends::Stall {
                Client::builder()
                    .http2_prior_knowledge()
                    .retry(RetryPolicy::never())
                    .http2_keep_alive_interval(None)
                    .build()
                    .unwrap()
            } else {
                client()
            };
            let (head_tx, head_rx) = tokio::sync::oneshot::channel();
            let (lab, url, script) = attack(
                &client,
                "/upload",
                Settings { initial_window_size: Some(0), ..Settings::default() },
                Some(Duration::from_secs(3600)),
                move |mut conn| async move {
                    let head = conn.recv_request_head().await.unwrap();
                    head_tx.send(head.body.len()).unwrap();
                    // Never a WINDOW_UPDATE, never a PING ACK: the client
                    // gives up and resets the stream, or closes the
                    // connection it found dead.
                    loop {
                        match conn.recv_frame().await {
                            Ok(Some(Frame::RstStream(r))) if r.stream_id.value() == 1 => {
                                break Some(r.reason);
                            }
                            Ok(Some(_)) => {}
                            Ok(None) | Err(_) => break None,
                        }
                    }
                },
            )
            .await;
            case.restart_clock();
            let mut request = client.post(&url).body(vec![1u8; 100_000]);
            if let Ends::Total(total) = ends {
                request = request.timeout(total);
            }
            let request = tokio::spawn(request.send());
            assert_eq!(head_rx.await.unwrap(), 0, "no body byte fits a zero window");
            drop(awake);
            let err = request.await.unwrap().unwrap_err();
            let took = case.elapsed();
            let msg = err.to_string();
            match ends {
                Ends::Total(total) => {
                    assert!(err.is_timeout(), "{err:?}");
                    assert_eq!(took.clock, total);
                }
                Ends::KeepAlive => {
                    assert!(msg.contains("keep-alive"), "{msg}");
                    let config = limits();
                    let bound = config.keepalive_interval.unwrap() + config.keepalive_timeout;
                    assert_eq!(took.clock, bound);
                }
                Ends::Stall => {
                    assert_eq!(err.violation(), Some(&Violation::SendWindowStalled), "{msg}");
                    assert_eq!(took.clock, limits().send_stall_timeout.unwrap());
                }
            }
            // The stream is cancelled, or the connection closed with it.
            let expected = if ends == Ends::KeepAlive { None } else { Some(Reason::CANCEL) };
            assert_eq!(script.await.unwrap(), expected);
            let _awake = stay_awake();
            case.finish(&client, lab, true, &msg, took).await;
        }
    });
}

/// A response head that trickles in one byte a second: the total timeout
/// (which runs until the head) ends it.
#[test]
fn trickled_response_head() {
    run(true, || async {
        let mut case = Case::start("head trickled 1 B/s, total 5 s");
        let awake = stay_awake();
        let client = client();
        let (head_tx, head_rx) = tokio::sync::oneshot::channel();
        let (lab, url, script) = attack(
            &client,
            "/slow",
            Settings::default(),
            Some(Duration::from_secs(3600)),
            move |mut conn| async move {
                conn.recv_request_head().await.unwrap();
                head_tx.send(()).unwrap();
                let head = conn.headers(1, &[(":status", "200"), ("x-padding", &"p".repeat(100))], true);
                let mut bytes = bytes::BytesMut::new();
                head.encode(&mut bytes);
                for byte in bytes.iter() {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    conn.send_raw(&[*byte]).await.unwrap();
                }
            },
        )
        .await;
        case.restart_clock();
        let request = tokio::spawn(client.get(&url).timeout(Duration::from_secs(5)).send());
        head_rx.await.unwrap();
        drop(awake);
        let err = request.await.unwrap().unwrap_err();
        let took = case.elapsed();
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(took.clock, Duration::from_secs(5));
        script.abort();
        let _awake = stay_awake();
        case.finish(&client, lab, true, &err.to_string(), took).await;
    });
}

/// A response body that trickles in one byte a second: the idle read
/// timeout (500 ms) ends it at the first gap.
#[test]
fn trickled_response_body() {
    run(true, || async {
        let mut case = Case::start("body trickled 1 B/s, read 500 ms");
        let awake = stay_awake();
        let client = Client::builder()
            .http2_prior_knowledge()
            .retry(RetryPolicy::never())
            .read_timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let (lab, url, script) = attack(
            &client,
            "/slow",
            Settings::default(),
            Some(Duration::from_secs(3600)),
            move |mut conn| async move {
                conn.recv_request_head().await.unwrap();
                send_head(&mut conn, 1).await;
                for _ in 0..3600 {
                    conn.send(frames::data(1, b"x", false)).await.unwrap();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
        )
        .await;
        let mut resp = client.get(&url).send().await.unwrap();
        assert_eq!(resp.chunk().await.unwrap(), Some(Bytes::from_static(b"x")));
        case.restart_clock();
        drop(awake);
        let err = resp.bytes().await.unwrap_err();
        let took = case.elapsed();
        assert!(err.is_timeout(), "{err:?}");
        assert_eq!(err.processing(), Some(Processing::ResponseStarted));
        assert_eq!(took.clock, Duration::from_millis(500));
        script.abort();
        let _awake = stay_awake();
        case.finish(&client, lab, true, &err.to_string(), took).await;
    });
}
