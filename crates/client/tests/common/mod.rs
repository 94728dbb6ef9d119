//! Helpers for tests on tokio's paused clock.
//!
//! With `start_paused`, tokio moves the clock to the next timer whenever the
//! runtime has nothing to run, even while bytes are in flight on a socket: a
//! connect, a handshake or a response still crossing the loopback could then
//! see a timer fire that real time would never have reached.
//! - [`Awake`] keeps a task yielding, so the runtime is never idle and the
//!   clock stands still; a test drops it once the only thing left to happen
//!   is the timeout under test, and the clock jumps straight to it.
//! - [`Ticker`], for tests where I/O and timers alternate without end: a
//!   task sleeping 1 ms in a loop, so each idle moment moves the clock by
//!   1 ms at most (a slow-motion real clock).
#![allow(dead_code)] // each test file uses what it needs

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Keeps the runtime busy (and the paused clock still) while it lives.
pub(crate) struct Awake(Arc<AtomicBool>);

pub(crate) fn stay_awake() -> Awake {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    tokio::spawn(async move {
        while !flag.load(Ordering::Acquire) {
            tokio::task::yield_now().await;
        }
    });
    Awake(stop)
}

impl Drop for Awake {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Lets the paused clock advance 1 ms per idle moment, no more.
pub(crate) struct Ticker(tokio::task::JoinHandle<()>);

pub(crate) fn tick_slowly() -> Ticker {
    Ticker(tokio::spawn(async {
        loop {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }))
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A one-shot streamed body (not replayable once read past the replay
/// buffer): `count` chunks of `chunk` bytes.
pub(crate) fn one_shot(chunk: usize, count: usize) -> baton::Body {
    struct Chunks {
        chunk: bytes::Bytes,
        left: usize,
    }
    impl http_body::Body for Chunks {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
            if self.left == 0 {
                return std::task::Poll::Ready(None);
            }
            self.left -= 1;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data(self.chunk.clone()))))
        }
    }
    baton::Body::wrap(Chunks { chunk: bytes::Bytes::from(vec![7u8; chunk]), left: count })
}

/// Reads the client's frames until the HEADERS of `stream` (skipping, e.g.,
/// the RST_STREAM of an abandoned stream).
pub(crate) async fn recv_headers_of(conn: &mut baton_lab::script::ScriptConn, stream: u32) {
    loop {
        match conn.recv_frame().await.unwrap().expect("client closed") {
            baton_lab::script::Frame::Headers(h) if h.stream_id.value() == stream => return,
            _ => {}
        }
    }
}
