//! The Tokio runtime every request runs on: one per process, started on
//! first use, its worker count from `BATON_WORKER_THREADS` (default 1).
//!
//! One worker is the default because the Python side of a request (httpx,
//! the event loop) costs far more than baton's, so a second worker mostly
//! adds cross-thread wake-ups; threads that call the sync API run their own
//! requests' futures themselves (`block_on`), so they do not queue behind it.

use std::sync::OnceLock;

use pyo3::PyResult;
use pyo3::exceptions::PyRuntimeError;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime, started on first use.
pub(crate) fn runtime() -> PyResult<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        let workers = std::env::var("BATON_WORKER_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("baton-worker")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start baton's Tokio runtime: {e}"))
    });
    rt.as_ref().map_err(|e| PyRuntimeError::new_err(e.clone()))
}
