//! The attempt journal as Python objects: `baton_http.Attempt`.

use pyo3::prelude::*;
use pyo3::types::PyTuple;

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

/// The journal as a tuple of `Attempt`s.
pub(crate) fn attempts_tuple<'py>(
    py: Python<'py>,
    attempts: &[baton::Attempt],
) -> PyResult<Bound<'py, PyTuple>> {
    let items = attempts.iter().map(|a| Py::new(py, convert(a))).collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}
