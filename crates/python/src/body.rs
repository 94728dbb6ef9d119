//! Request bodies from Python iterators: the pure-Python layer pumps the
//! iterator's chunks into a [`BodySender`]; the request reads them from the
//! other end as a `baton::Body::wrap` stream, which keeps them in its replay
//! buffer so a GOAWAY'd upload is still sent again.

use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use tokio::sync::mpsc;

use crate::bridge::{Op, Outcome};

type Item = Result<Bytes, String>;

/// How many chunks wait between the Python iterator and the connection.
const DEPTH: usize = 2;

/// The request's end of the channel: an `http_body::Body`.
pub(crate) struct ChannelBody(mpsc::Receiver<Item>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = String;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, String>>> {
        self.0.poll_recv(cx).map(|item| item.map(|r| r.map(http_body::Frame::data)))
    }
}

/// The Python end: `try_send`, `send` (an op to await), `send_blocking`,
/// then `close` at the end or `fail` when the iterator raised.
#[pyclass(frozen, module = "baton_http._core")]
pub(crate) struct BodySender {
    tx: Mutex<Option<mpsc::Sender<Item>>>,
    rx: Mutex<Option<mpsc::Receiver<Item>>>,
}

impl BodySender {
    fn sender(&self) -> Option<mpsc::Sender<Item>> {
        self.tx.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The request's end, taken once by `Client.start`.
    pub(crate) fn take_body(&self) -> PyResult<ChannelBody> {
        let rx = self.rx.lock().unwrap_or_else(PoisonError::into_inner).take();
        rx.map(ChannelBody).ok_or_else(|| PyRuntimeError::new_err("this body was already given to a request"))
    }
}

#[pymethods]
impl BodySender {
    #[new]
    fn new() -> Self {
        let (tx, rx) = mpsc::channel(DEPTH);
        Self { tx: Mutex::new(Some(tx)), rx: Mutex::new(Some(rx)) }
    }

    /// Queues `chunk` without waiting: 0 queued, 1 full (await `send`), 2
    /// the request is over (stop pumping).
    fn try_send(&self, chunk: PyBackedBytes) -> u8 {
        let Some(tx) = self.sender() else { return 2 };
        match tx.try_send(Ok(Bytes::from_owner(chunk))) {
            Ok(()) => 0,
            Err(mpsc::error::TrySendError::Full(_)) => 1,
            Err(mpsc::error::TrySendError::Closed(_)) => 2,
        }
    }

    /// An op that completes with True once `chunk` is queued, False when
    /// the request is over.
    fn send(&self, chunk: PyBackedBytes) -> Op {
        let tx = self.sender();
        Op::new(async move {
            let sent = match tx {
                Some(tx) => tx.send(Ok(Bytes::from_owner(chunk))).await.is_ok(),
                None => false,
            };
            Box::new(move |py: Python<'_>| {
                Ok(pyo3::types::PyBool::new(py, sent).to_owned().into_any().unbind())
            }) as Outcome
        })
    }

    /// Queues `chunk`, waiting without the GIL: True once queued, False
    /// when the request is over.
    fn send_blocking(&self, py: Python<'_>, chunk: PyBackedBytes) -> bool {
        let Some(tx) = self.sender() else { return false };
        py.detach(move || tx.blocking_send(Ok(Bytes::from_owner(chunk))).is_ok())
    }

    /// Ends the body.
    fn close(&self) {
        self.tx.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    /// Ends the body with an error (the iterator raised `message`): the
    /// request fails as a body error and is not retried.
    fn fail(&self, message: String) -> PyResult<()> {
        if let Some(tx) = self.tx.lock().unwrap_or_else(PoisonError::into_inner).take() {
            // Never dropped for want of room: a body that just ended would
            // be sent as complete.
            crate::runtime::runtime()?.spawn(async move {
                let _ = tx.send(Err(message)).await;
            });
        }
        Ok(())
    }
}
