//! baton's errors as Python sees them: one exception class,
//! `baton_http._errors.CoreError`, carrying everything the Rust error says
//! (kind, which timeout, verdict, GOAWAY account, attempts). The pure-Python
//! layer turns it into the httpx or httpcore class for the same cause.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use crate::journal::attempts;

static CORE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The verdict's name, as the Python layer spells it.
pub(crate) fn processing_name(p: baton::Processing) -> &'static str {
    match p {
        baton::Processing::NotSent => "NotSent",
        baton::Processing::NotProcessed => "NotProcessed",
        baton::Processing::MaybeProcessed => "MaybeProcessed",
        baton::Processing::ResponseStarted => "ResponseStarted",
    }
}

fn kind(e: &baton::Error) -> &'static str {
    if e.is_builder() {
        "builder"
    } else if e.is_connect() {
        "connect"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_body() {
        "body"
    } else if e.is_decode() {
        "decode"
    } else if e.is_retries_exhausted() {
        "retries_exhausted"
    } else {
        "request"
    }
}

/// `e` as a `CoreError`.
pub(crate) fn to_py(py: Python<'_>, e: baton::Error) -> PyErr {
    match build(py, &e) {
        Ok(err) => err,
        Err(failed) => failed,
    }
}

/// A builder error found by the binding itself (a header that cannot be
/// sent), as the Rust client reports its own.
pub(crate) fn local(py: Python<'_>, message: String) -> PyErr {
    let made = CORE_ERROR.import(py, "baton_http._errors", "CoreError").and_then(|class| {
        class.call1((
            message,
            "builder",
            None::<&str>,
            None::<&str>,
            None::<&str>,
            pyo3::types::PyTuple::empty(py),
            None::<&str>,
            None::<&str>,
        ))
    });
    match made {
        Ok(value) => PyErr::from_value(value),
        Err(e) => e,
    }
}

fn build(py: Python<'_>, e: &baton::Error) -> PyResult<PyErr> {
    let class = CORE_ERROR.import(py, "baton_http._errors", "CoreError")?;
    let going_away = match e.going_away() {
        Some(g) => {
            let d = PyDict::new(py);
            d.set_item("last_stream_id", g.last_stream_id.value())?;
            d.set_item("error_code", g.error_code.code())?;
            d.set_item("debug_data", pyo3::types::PyBytes::new(py, &g.debug_data))?;
            d.set_item("request_stream_id", g.request_stream_id.map(|id| id.value()))?;
            d.set_item("headers_sent", g.headers_sent)?;
            d.set_item("body_sent", g.body_sent)?;
            d.set_item("is_safe_to_retry", g.is_safe_to_retry())?;
            d.set_item("is_graceful_shutdown", g.is_graceful_shutdown())?;
            d.set_item("may_have_side_effects", g.may_have_side_effects())?;
            Some(d)
        }
        None => None,
    };
    let source = std::error::Error::source(e).map(ToString::to_string);
    let value = class.call1((
        e.to_string(),
        kind(e),
        e.timeout_kind().map(|k| k.to_string()),
        e.processing().map(processing_name),
        going_away,
        attempts(py, e.attempts())?,
        source,
        e.violation().map(ToString::to_string),
    ))?;
    Ok(PyErr::from_value(value))
}
