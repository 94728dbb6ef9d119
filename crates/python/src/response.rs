//! Responses handed to Python: the head with as much of the body as is
//! already there, then a [`BodyReader`] for the rest.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyList, PyTuple};

use crate::bridge::{Op, Outcome};
use crate::error::to_py;
use crate::journal::attempts;
use crate::runtime::{Running, runtime};

/// At most this much body is gathered into one Python `bytes` per read.
const BATCH: usize = 256 << 10;
/// Bodies announced at most this long are read whole before the head is
/// handed over, when the caller asked for that (`eager`): one hand-off to
/// Python instead of one per piece.
const WHOLE: u64 = 1 << 20;

/// `future`'s output if it is ready now. Dropping a pending `chunk()` is
/// harmless: it waits on a channel.
fn now<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Body pieces read together, copied once, into one Python `bytes`.
#[derive(Default)]
struct Pieces {
    pieces: Vec<Bytes>,
    len: usize,
}

impl Pieces {
    fn push(&mut self, piece: Bytes) {
        self.len += piece.len();
        self.pieces.push(piece);
    }

    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        match self.pieces.as_slice() {
            [] => Ok(PyBytes::new(py, b"")),
            [one] => Ok(PyBytes::new(py, one)),
            many => PyBytes::new_with(py, self.len, |buf| {
                let mut at = 0;
                for piece in many {
                    if let Some(dst) = buf.get_mut(at..at + piece.len()) {
                        dst.copy_from_slice(piece);
                    }
                    at += piece.len();
                }
                Ok(())
            }),
        }
    }
}

/// What one read gathered: data (`None` at the end), and an error met after
/// some data, kept for the next read.
struct Batch {
    data: Option<Pieces>,
    later: Option<baton::Error>,
}

/// Waits for the next piece of the body, then takes whatever more is
/// already there (up to `BATCH`); with `whole`, reads to the end.
async fn read_batch(resp: &mut baton::Response, whole: bool) -> Result<Batch, baton::Error> {
    let Some(first) = resp.chunk().await? else { return Ok(Batch { data: None, later: None }) };
    let mut data = Pieces::default();
    data.push(first);
    let mut later = None;
    while whole || data.len < BATCH {
        let next = if whole { Some(resp.chunk().await) } else { now(resp.chunk()) };
        match next {
            None | Some(Ok(None)) => break,
            Some(Ok(Some(chunk))) => data.push(chunk),
            Some(Err(e)) => {
                later = Some(e);
                break;
            }
        }
    }
    Ok(Batch { data: Some(data), later })
}

struct ReaderState {
    response: Option<baton::Response>,
    /// The response ended (read to its end, or failed).
    ended: bool,
    error: Option<baton::Error>,
    closed: bool,
    task: Option<tokio::task::AbortHandle>,
}

/// The rest of a response body: `next()` (an op) or `next_blocking()`
/// give `bytes`, or `None` at the end; `close()` abandons it (an HTTP/2
/// stream is reset, an HTTP/1.1 connection closed).
#[pyclass(frozen, module = "baton_http._core")]
pub(crate) struct BodyReader {
    state: Arc<Mutex<ReaderState>>,
}

enum Start {
    Read(Box<baton::Response>),
    Now(Result<Option<Pieces>, baton::Error>),
}

impl BodyReader {
    fn lock(state: &Mutex<ReaderState>) -> std::sync::MutexGuard<'_, ReaderState> {
        state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn start(&self) -> Start {
        let mut st = Self::lock(&self.state);
        if let Some(e) = st.error.take() {
            return Start::Now(Err(e));
        }
        if st.closed || st.ended {
            return Start::Now(Ok(None));
        }
        match st.response.take() {
            Some(r) => Start::Read(Box::new(r)),
            None => Start::Now(Ok(None)),
        }
    }

    /// Puts the response back after a read, unless closed meanwhile.
    fn finish(
        state: &Mutex<ReaderState>,
        response: baton::Response,
        read: Result<Batch, baton::Error>,
    ) -> Result<Option<Pieces>, baton::Error> {
        let mut st = Self::lock(state);
        st.task = None;
        match read {
            Ok(Batch { data: Some(data), later }) => {
                st.error = later;
                if !st.closed && st.error.is_none() {
                    st.response = Some(response);
                }
                Ok(Some(data))
            }
            Ok(Batch { data: None, .. }) => {
                st.ended = true;
                Ok(None)
            }
            Err(e) => {
                st.ended = true;
                Err(e)
            }
        }
    }
}

fn chunk_to_py(py: Python<'_>, read: Result<Option<Pieces>, baton::Error>) -> PyResult<Py<PyAny>> {
    match read {
        Ok(Some(data)) => Ok(data.to_py(py)?.into_any().unbind()),
        Ok(None) => Ok(py.None()),
        Err(e) => Err(to_py(py, e)),
    }
}

#[pymethods]
impl BodyReader {
    /// An op giving the next `bytes` of the body, or None at its end.
    fn next(&self) -> Op {
        match self.start() {
            Start::Now(read) => Op::ready(Box::new(move |py: Python<'_>| chunk_to_py(py, read))),
            Start::Read(mut response) => {
                let state = self.state.clone();
                Op::new(async move {
                    let read = read_batch(&mut response, false).await;
                    let read = Self::finish(&state, *response, read);
                    Box::new(move |py: Python<'_>| chunk_to_py(py, read)) as Outcome
                })
            }
        }
    }

    /// The next `bytes` of the body, or None at its end, waiting without
    /// the GIL.
    fn next_blocking(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let read = match self.start() {
            Start::Now(read) => read,
            Start::Read(mut response) => {
                let rt = runtime()?;
                let state = self.state.clone();
                py.detach(move || {
                    let _running = Running::start();
                    let read = rt.block_on(read_batch(&mut response, false));
                    Self::finish(&state, *response, read)
                })
            }
        };
        chunk_to_py(py, read)
    }

    /// Abandons the rest of the body.
    fn close(&self) {
        let (response, task) = {
            let mut st = Self::lock(&self.state);
            st.closed = true;
            (st.response.take(), st.task.take())
        };
        drop(response);
        if let Some(task) = task {
            task.abort();
        }
    }
}

/// A response as Python gets it: `(status, headers, http_version,
/// reason_phrase, body_prefix, reader, attempts, identity)`; `reader` is
/// None when `body_prefix` is the whole body; `identity` is True when the
/// response has no `Content-Encoding` (the body as sent is the content).
pub(crate) struct Head {
    response: baton::Response,
    prefix: Option<Pieces>,
    complete: bool,
    error: Option<baton::Error>,
}

impl Head {
    /// Takes what of the body is already there (all of it, up to `WHOLE`,
    /// with `eager` and a `Content-Length`).
    pub(crate) async fn gather(response: baton::Response, eager: bool) -> Self {
        let announced = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let whole = eager && announced.is_some_and(|n| n <= WHOLE);
        let mut head = Self { response, prefix: None, complete: false, error: None };
        if announced == Some(0) {
            // Still read: the end (and trailers) leave the connection reusable.
            match head.response.chunk().await {
                Ok(_) => head.complete = true,
                Err(e) => head.error = Some(e),
            }
            return head;
        }
        let read = if whole {
            Some(read_batch(&mut head.response, true).await)
        } else {
            now(read_batch(&mut head.response, false))
        };
        match read {
            None => {}
            Some(Ok(Batch { data, later })) => {
                head.complete = data.is_none() || (whole && later.is_none());
                head.prefix = data;
                head.error = later;
            }
            Some(Err(e)) => head.error = Some(e),
        }
        if whole && head.error.is_none() && !head.complete {
            head.complete = true;
        }
        head
    }

    /// The response's parts as Python objects; `headers` makes the
    /// headers object from the response's header map.
    pub(crate) fn parts<'py>(
        self,
        py: Python<'py>,
        headers: impl FnOnce(&http::HeaderMap) -> PyResult<Bound<'py, PyAny>>,
    ) -> PyResult<Parts<'py>> {
        let Self { mut response, prefix, complete, error } = self;
        let headers = headers(response.headers())?;
        let identity = !response.headers().contains_key(http::header::CONTENT_ENCODING);
        // Python has the headers now. The map is freed here: given back on
        // drop, it would be kept for reuse on this Python thread, which
        // parses no responses (`baton_proto::spare_headers`).
        drop(std::mem::take(response.headers_mut()));
        let h2 = response.version() == http::Version::HTTP_2;
        // HTTP/1.x: the phrase the server sent, as httpcore gives it.
        // HTTP/2 has none (RFC 9113 §8.3.2): httpcore gives none, and httpx
        // then derives one from the status code.
        let reason =
            if h2 { None } else { Some(PyBytes::new(py, response.reason_phrase().unwrap_or_default())) };
        let prefix = match prefix {
            Some(p) => p.to_py(py)?,
            None => PyBytes::new(py, b""),
        };
        let mut parts = Parts {
            status: response.status().as_u16(),
            headers,
            version: version_bytes(py, h2),
            reason,
            prefix,
            reader: None,
            attempts: attempts(py, response.attempts())?.into_any(),
            identity,
        };
        if !complete || error.is_some() {
            let state =
                ReaderState { response: Some(response), ended: complete, error, closed: false, task: None };
            parts.reader = Some(Bound::new(py, BodyReader { state: Arc::new(Mutex::new(state)) })?);
        }
        Ok(parts)
    }

    /// The response as the tuple described on [`Head`].
    pub(crate) fn into_py(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let p = self.parts(py, |map| Ok(pairs(py, map)?.into_any()))?;
        let tuple = PyTuple::new(
            py,
            [
                p.status.into_pyobject(py)?.into_any(),
                p.headers,
                p.version,
                p.reason.map_or_else(|| py.None().into_bound(py), Bound::into_any),
                p.prefix.into_any(),
                p.reader.map_or_else(|| py.None().into_bound(py), Bound::into_any),
                p.attempts,
                PyBool::new(py, p.identity).to_owned().into_any(),
            ],
        )?;
        Ok(tuple.into_any().unbind())
    }
}

/// A response's parts, as Python objects.
pub(crate) struct Parts<'py> {
    pub(crate) status: u16,
    pub(crate) headers: Bound<'py, PyAny>,
    /// `b"HTTP/2"` or `b"HTTP/1.1"`.
    pub(crate) version: Bound<'py, PyAny>,
    /// HTTP/1.x only.
    pub(crate) reason: Option<Bound<'py, PyBytes>>,
    /// The body, or as much of it as had arrived.
    pub(crate) prefix: Bound<'py, PyBytes>,
    /// The rest of the body; None when `prefix` is all of it.
    pub(crate) reader: Option<Bound<'py, BodyReader>>,
    pub(crate) attempts: Bound<'py, PyAny>,
    /// No `Content-Encoding`: the body as received is the content.
    pub(crate) identity: bool,
}

/// The headers as a list of `(name, value)` bytes pairs (names in lower
/// case, as HTTP/2 sends them and the `http` crate keeps them).
pub(crate) fn pairs<'py>(py: Python<'py>, map: &http::HeaderMap) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (name, value) in map {
        list.append((PyBytes::new(py, name.as_str().as_bytes()), PyBytes::new(py, value.as_bytes())))?;
    }
    Ok(list)
}

/// `b"HTTP/2"` or `b"HTTP/1.1"`, made once.
fn version_bytes(py: Python<'_>, h2: bool) -> Bound<'_, PyAny> {
    static H2: PyOnceLock<Py<PyBytes>> = PyOnceLock::new();
    static H1: PyOnceLock<Py<PyBytes>> = PyOnceLock::new();
    let (cell, name): (_, &[u8]) = if h2 { (&H2, b"HTTP/2") } else { (&H1, b"HTTP/1.1") };
    cell.get_or_init(py, || PyBytes::new(py, name).unbind()).bind(py).clone().into_any()
}
