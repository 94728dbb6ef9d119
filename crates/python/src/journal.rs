//! The attempt journal as Python objects: `baton_http.Attempts`, a sequence
//! of `baton_http.Attempt`.
//!
//! A response's journal is kept as baton's own records and turned into
//! Python objects only when read: most responses are never asked how they
//! got there, and building the objects for each (with their texts) was a
//! measurable part of a request's cost.

use std::sync::OnceLock;

use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PySlice, PyTuple};

use crate::error::processing_name;

/// One try of a request on one connection (baton's `Attempt`).
#[pyclass(frozen, module = "baton_http._core", name = "Attempt")]
pub(crate) struct PyAttempt {
    /// Which connection (unique within the client).
    #[pyo3(get)]
    connection_id: u64,
    /// Whether the connection had carried requests before.
    #[pyo3(get)]
    reused: bool,
    /// "HTTP/2" or "HTTP/1.1".
    #[pyo3(get)]
    http_version: &'static str,
    /// The HTTP/2 stream id, when one was opened.
    #[pyo3(get)]
    stream_id: Option<u32>,
    /// How far the attempt got, e.g. "headers written".
    #[pyo3(get)]
    phase: String,
    /// Request body bytes confirmed written.
    #[pyo3(get)]
    body_sent: u64,
    /// The last GOAWAY seen on the connection: (last_stream_id, error_code,
    /// debug_data), or None.
    #[pyo3(get)]
    go_away: Option<(u32, u32, Vec<u8>)>,
    /// What went wrong, for a failed attempt.
    #[pyo3(get)]
    error: Option<String>,
    /// The verdict, for a failed attempt: "NotSent", "NotProcessed",
    /// "MaybeProcessed" or "ResponseStarted".
    #[pyo3(get)]
    processing: Option<&'static str>,
    /// Why the next attempt was made, if one was.
    #[pyo3(get)]
    retried: Option<String>,
    /// Seconds waited before the next attempt.
    #[pyo3(get)]
    backoff: f64,
    text: String,
}

#[pymethods]
impl PyAttempt {
    fn __repr__(&self) -> String {
        format!("<Attempt {}>", self.text)
    }

    fn __str__(&self) -> String {
        self.text.clone()
    }
}

pub(crate) fn version_name(v: http::Version) -> &'static str {
    if v == http::Version::HTTP_2 { "HTTP/2" } else { "HTTP/1.1" }
}

fn convert(a: &baton::Attempt) -> PyAttempt {
    PyAttempt {
        connection_id: a.connection_id,
        reused: a.reused,
        http_version: version_name(a.version),
        stream_id: a.stream_id.map(|id| id.value()),
        phase: a.phase.to_string(),
        body_sent: a.body_sent,
        go_away: a
            .go_away
            .as_ref()
            .map(|g| (g.last_stream_id.value(), g.error_code.code(), g.debug_data.to_vec())),
        error: a.error.clone(),
        processing: a.processing.map(processing_name),
        retried: a.retried.map(|r| r.to_string()),
        backoff: a.backoff.as_secs_f64(),
        text: a.to_string(),
    }
}

/// A request's attempts, in order (the successful one last): a read-only
/// sequence of `Attempt` (`len`, indexing and slicing, iteration), its
/// items made when first read.
#[pyclass(frozen, sequence, module = "baton_http._core", name = "Attempts")]
pub(crate) struct Attempts {
    records: Vec<baton::Attempt>,
    items: OnceLock<Py<PyTuple>>,
}

impl Attempts {
    pub(crate) fn new(records: Vec<baton::Attempt>) -> Self {
        Self { records, items: OnceLock::new() }
    }

    /// The items as a tuple, made on first use.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        if let Some(t) = self.items.get() {
            return Ok(t.bind(py).clone());
        }
        let items = self.records.iter().map(|a| Py::new(py, convert(a))).collect::<PyResult<Vec<_>>>()?;
        let tuple = PyTuple::new(py, items)?;
        // Another thread may have won the race; either tuple is the same.
        let _ = self.items.set(tuple.clone().unbind());
        Ok(tuple)
    }
}

#[pymethods]
impl Attempts {
    fn __len__(&self) -> usize {
        self.records.len()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, index: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let items = self.items(py)?;
        if let Ok(slice) = index.cast::<PySlice>() {
            return items.as_any().get_item(slice);
        }
        let i: isize = index.extract()?;
        let len = self.records.len() as isize;
        let at = if i < 0 { i + len } else { i };
        if at < 0 || at >= len {
            return Err(PyIndexError::new_err("attempt index out of range"));
        }
        items.get_item(at as usize)
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.items(py)?.as_any().try_iter()?.into_any())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Attempts({})", self.items(py)?.repr()?))
    }
}

/// The journal as a lazy `Attempts` sequence.
pub(crate) fn attempts<'py>(py: Python<'py>, records: &[baton::Attempt]) -> PyResult<Bound<'py, Attempts>> {
    Bound::new(py, Attempts::new(records.to_vec()))
}
