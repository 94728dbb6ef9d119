//! The asyncio bridge: how a Rust future's completion reaches the event
//! loop without the Tokio thread ever taking the GIL.
//!
//! An [`Op`] is a future spawned on the runtime. Python first asks whether it
//! is already [`done`](Op::done) (then the result is taken at once, with no
//! event-loop round trip). Otherwise it hands the op an asyncio future and
//! the loop's [`Notifier`]; on completion the Tokio thread puts that future
//! in the notifier's queue and, only when the queue was empty, writes one
//! byte to a socket the loop watches (`loop.add_reader`). The loop then
//! drains the whole queue in one callback, under the GIL it already holds:
//! one wake-up per batch of completions, not one per completion, and never a
//! GIL hand-off between threads (the cost that made the obvious bridge,
//! `call_soon_threadsafe` from the Tokio thread, hundreds of µs per await on
//! 2 cores). [`Op::wait_threadsafe`] keeps that obvious bridge, only so the
//! benchmark can measure the two side by side.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::{IntoPyObjectExt, intern};

use crate::runtime::runtime;

/// What a finished op gives Python: built under the GIL when taken.
pub(crate) type Outcome = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

enum Waiter {
    /// An asyncio future, set through the loop's notifier.
    Loop { future: Py<PyAny>, notifier: Arc<Queue> },
    /// The obvious bridge, for comparison: `call_soon_threadsafe` from the
    /// Tokio thread, which must take the GIL for it.
    Threadsafe { event_loop: Py<PyAny>, future: Py<PyAny> },
}

enum State {
    Pending(Option<Waiter>),
    Done(Option<Outcome>),
}

struct Shared {
    state: Mutex<State>,
    done: Condvar,
}

impl Shared {
    fn complete(&self, outcome: Outcome) {
        let waiter = {
            let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            let waiter = match &mut *st {
                State::Pending(w) => w.take(),
                State::Done(_) => return,
            };
            *st = State::Done(Some(outcome));
            waiter
        };
        self.done.notify_all();
        match waiter {
            Some(Waiter::Loop { future, notifier }) => notifier.push(future),
            Some(Waiter::Threadsafe { event_loop, future }) => Python::attach(|py| {
                let set = future.bind(py).getattr(intern!(py, "set_result"));
                if let Ok(set) = set {
                    let _ = event_loop
                        .bind(py)
                        .call_method1(intern!(py, "call_soon_threadsafe"), (set, py.None()));
                }
            }),
            None => {}
        }
    }
}

/// A Rust operation running on the runtime: a request, a body read, a body
/// write. Await it from asyncio with `baton_http._bridge.wait(op)`, or block
/// on it with [`Op::wait`] (the GIL released).
#[pyclass(frozen, module = "baton_http._core")]
pub(crate) struct Op {
    shared: Arc<Shared>,
    task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Op {
    /// Spawns `work` on the runtime; its outcome is taken by [`Op::result`].
    pub(crate) fn spawn<F>(work: F) -> PyResult<Self>
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let shared = Arc::new(Shared { state: Mutex::new(State::Pending(None)), done: Condvar::new() });
        let finishing = shared.clone();
        let task = runtime()?.spawn(async move {
            let outcome = work.await;
            finishing.complete(outcome);
        });
        Ok(Self { shared, task: Mutex::new(Some(task.abort_handle())) })
    }

    /// An op that is already complete with `value`.
    fn ready(value: Outcome) -> Self {
        let shared = Arc::new(Shared { state: Mutex::new(State::Done(Some(value))), done: Condvar::new() });
        Self { shared, task: Mutex::new(None) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[pymethods]
impl Op {
    /// True once the outcome is there.
    fn done(&self) -> bool {
        matches!(*self.lock(), State::Done(_))
    }

    /// Has `future` (an asyncio future of the loop `notifier` serves) set to
    /// `None` when the op completes. False, and nothing registered, when it
    /// already has: take the result at once.
    fn wait_loop(&self, future: Py<PyAny>, notifier: &Notifier) -> bool {
        let mut st = self.lock();
        match &mut *st {
            State::Pending(w) => {
                *w = Some(Waiter::Loop { future, notifier: notifier.queue.clone() });
                true
            }
            State::Done(_) => false,
        }
    }

    /// The obvious bridge, for the benchmark only: the Tokio thread calls
    /// `event_loop.call_soon_threadsafe(future.set_result, None)`.
    fn wait_threadsafe(&self, event_loop: Py<PyAny>, future: Py<PyAny>) -> bool {
        let mut st = self.lock();
        match &mut *st {
            State::Pending(w) => {
                *w = Some(Waiter::Threadsafe { event_loop, future });
                true
            }
            State::Done(_) => false,
        }
    }

    /// The outcome: the value, or the exception raised. Once only.
    fn result(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let outcome = match &mut *self.lock() {
            State::Done(o) => o.take(),
            State::Pending(_) => return Err(PyRuntimeError::new_err("baton operation not finished")),
        };
        match outcome {
            Some(make) => make(py),
            None => Err(PyRuntimeError::new_err("baton operation result already taken")),
        }
    }

    /// Blocks until the op completes, without the GIL, then returns
    /// [`result`](Op::result).
    fn wait(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py.detach(|| {
            let mut st = self.lock();
            while matches!(*st, State::Pending(_)) {
                st = self.shared.done.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
        });
        self.result(py)
    }

    /// Abandons the op: its future is dropped on the runtime (a request in
    /// flight resets its HTTP/2 stream or closes its HTTP/1.1 connection).
    fn cancel(&self) {
        let task = self.task.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(task) = task {
            task.abort();
        }
        self.shared.complete(Box::new(|_| Err(PyRuntimeError::new_err("baton operation cancelled"))));
    }
}

/// The wake-up channel of one event loop: completed futures queue here, and
/// one byte on a socket pair tells the loop to drain them.
pub(crate) struct Queue {
    futures: Mutex<Vec<Py<PyAny>>>,
    wake: UnixStream,
    watched: UnixStream,
}

impl Queue {
    fn push(&self, future: Py<PyAny>) {
        let was_empty = {
            let mut q = self.futures.lock().unwrap_or_else(PoisonError::into_inner);
            let was_empty = q.is_empty();
            q.push(future);
            was_empty
        };
        if was_empty {
            // Non-blocking: a full socket already holds a wake-up.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// One per event loop: `loop.add_reader(n.fileno(), n.drain)`.
#[pyclass(frozen, module = "baton_http._core")]
pub(crate) struct Notifier {
    queue: Arc<Queue>,
}

#[pymethods]
impl Notifier {
    #[new]
    fn new() -> PyResult<Self> {
        let (wake, watched) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        watched.set_nonblocking(true)?;
        Ok(Self { queue: Arc::new(Queue { futures: Mutex::new(Vec::new()), wake, watched }) })
    }

    /// The descriptor the loop watches.
    fn fileno(&self) -> i32 {
        self.queue.watched.as_raw_fd()
    }

    /// Sets every queued future's result (those not cancelled meanwhile).
    /// The wake-up bytes are read before the queue is taken, so a push that
    /// comes after the take always finds a byte to wake the next drain.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let mut buf = [0u8; 64];
        while matches!((&self.queue.watched).read(&mut buf), Ok(n) if n > 0) {}
        let futures = std::mem::take(&mut *self.queue.futures.lock().unwrap_or_else(PoisonError::into_inner));
        for future in futures {
            let future = future.bind(py);
            if !future.call_method0(intern!(py, "done"))?.is_truthy()? {
                future.call_method1(intern!(py, "set_result"), (py.None(),))?;
            }
        }
        Ok(())
    }
}

/// For the bridge microbenchmark: an op that completes on the runtime at
/// once with `value`, so awaiting it measures the bridge alone.
#[pyfunction]
pub(crate) fn echo_op(value: Py<PyAny>) -> PyResult<Op> {
    Op::spawn(async move { Box::new(move |_py: Python<'_>| Ok(value)) as Outcome })
}

/// An op complete before it is awaited (the fast path).
#[pyfunction]
pub(crate) fn ready_op(py: Python<'_>, value: Py<PyAny>) -> PyResult<Op> {
    let _ = value.bind(py).clone().into_py_any(py)?;
    Ok(Op::ready(Box::new(move |_py| Ok(value))))
}
