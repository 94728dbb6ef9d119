//! `baton_http._core`: the Rust half of the `baton-http` Python package, a
//! thin binding over the `baton` client. It holds no policy: retries, the
//! pool and the verdicts are `baton`'s, so Python and Rust users get one
//! behaviour. The pure-Python half (`python/baton_http`) shapes it as httpx
//! transports and an httpcore-style pool.
//!
//! The GIL is released whenever a call waits on the network: the sync calls
//! run their futures with the GIL detached, and the asyncio ones complete
//! through the bridge (`bridge.rs`) without the runtime's threads ever
//! taking it.

mod body;
mod bridge;
mod client;
mod error;
mod httpx;
mod journal;
mod response;
mod runtime;

use pyo3::prelude::*;

/// mimalloc for the extension's own allocations (Python's objects keep
/// Python's allocator): glibc's malloc returned the memory of each large
/// body to the kernel on free (its trim threshold), so the next one paid a
/// page fault per 4 KiB page.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Client>()?;
    m.add_class::<bridge::Op>()?;
    m.add_class::<bridge::Notifier>()?;
    m.add_class::<body::BodySender>()?;
    m.add_class::<response::BodyReader>()?;
    m.add_class::<httpx::HttpxResponses>()?;
    m.add_class::<journal::PyAttempt>()?;
    m.add_class::<journal::Attempts>()?;
    m.add_function(wrap_pyfunction!(bridge::echo_op, m)?)?;
    m.add_function(wrap_pyfunction!(bridge::ready_op, m)?)?;
    Ok(())
}
