//! The Tokio runtime every request runs on: one per process, started on
//! first use, its worker count from `BATON_WORKER_THREADS` (default 1).
//!
//! One worker is the default because the Python side of a request (httpx,
//! the event loop) costs far more than baton's, so a second worker mostly
//! adds cross-thread wake-ups; threads that call the sync API run their own
//! requests' futures themselves (`block_on`), so they do not queue behind it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, started on first use.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        let workers = std::env::var("BATON_WORKER_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("baton-worker")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start baton's Tokio runtime: {e}"))?;
        rt.spawn(anchor());
        Ok(rt)
    });
    rt.as_ref().map_err(|e| PyRuntimeError::new_err(e.clone()))
}

/// Ops running on the runtime (see [`anchor`]).
static RUNNING: AtomicUsize = AtomicUsize::new(0);
static BUSY: Notify = Notify::const_new();

/// How far ahead [`anchor`] keeps a timer.
const ANCHOR: Duration = Duration::from_secs(1);

/// Counts an op in while it runs on the runtime.
pub(crate) struct Running(());

impl Running {
    pub(crate) fn start() -> Self {
        if RUNNING.fetch_add(1, Ordering::Relaxed) == 0 {
            BUSY.notify_one();
        }
        Self(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Keeps a timer pending within [`ANCHOR`] while ops run.
///
/// Tokio's timer wheel wakes the worker (a write to its eventfd, then an
/// extra turn of its poll loop) whenever a timer is registered earlier than
/// the earliest one pending when the worker last parked. Each request's read
/// timeout registers a timer from the worker itself; when the worker had
/// parked with no timer pending (every earlier request answered), each of
/// them paid that wake-up, although the worker was running. With a timer
/// always due within a second, request timeouts of a second or more never
/// do. Idle (no op running), it waits without a timer.
async fn anchor() {
    loop {
        if RUNNING.load(Ordering::Relaxed) == 0 {
            BUSY.notified().await;
        }
        tokio::time::sleep(ANCHOR).await;
    }
}
