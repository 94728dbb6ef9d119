//! The `httpx.Response` a transport's request gives, made in Rust as the
//! request completes: no tuple of parts and no Python function between the
//! core and httpx.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use pyo3::{IntoPyObjectExt, intern};

use crate::response::{Head, pairs};

/// What an httpx transport builds its responses from (made once, by
/// `baton_http._transports`): the response class, `httpx.Headers` when its
/// layout is the one this module fills in, the stream class for a body
/// that is complete, and the stream factory for one still arriving.
#[pyclass(frozen, module = "baton_http._core")]
pub(crate) struct HttpxResponses {
    response: Py<PyAny>,
    headers: Option<Py<PyAny>>,
    complete: Py<PyAny>,
    streamed: Py<PyAny>,
}

#[pymethods]
impl HttpxResponses {
    /// `response(status, headers=, stream=, extensions=)` makes the
    /// response; `headers`, when not None, is `httpx.Headers`, whose
    /// `_list` of `(raw name, lower-case name, value)` is filled in directly
    /// (the caller checked that layout; with None the headers go as a list
    /// of pairs, through httpx's own normalising); `complete(body)` is the
    /// stream of a body that has fully arrived, `streamed(prefix, reader,
    /// request)` the stream of one still arriving. A complete body without
    /// `Content-Encoding` is also set as the response's `_whole` (see
    /// `baton_http._transports._Response`).
    #[new]
    fn new(
        response: Py<PyAny>,
        headers: Option<Py<PyAny>>,
        complete: Py<PyAny>,
        streamed: Py<PyAny>,
    ) -> Self {
        Self { response, headers, complete, streamed }
    }
}

impl HttpxResponses {
    fn headers<'py>(&self, py: Python<'py>, map: &http::HeaderMap) -> PyResult<Bound<'py, PyAny>> {
        let Some(class) = &self.headers else { return Ok(pairs(py, map)?.into_any()) };
        let list = PyList::empty(py);
        for (name, value) in map {
            // Names are lower case already (HTTP/2 sends them so; the
            // `http` crate folds HTTP/1.1's), so raw and folded are one.
            let name = PyBytes::new(py, name.as_str().as_bytes()).into_any();
            list.append(PyTuple::new(
                py,
                [name.clone(), name, PyBytes::new(py, value.as_bytes()).into_any()],
            )?)?;
        }
        let headers = class.bind(py).call0()?;
        headers.setattr(intern!(py, "_list"), list)?;
        Ok(headers)
    }

    /// The `httpx.Response` for `head`, answering `request`.
    pub(crate) fn build(
        &self,
        py: Python<'_>,
        head: Head,
        request: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let p = head.parts(py, |map| self.headers(py, map))?;
        let extensions = PyDict::new(py);
        extensions.set_item(intern!(py, "http_version"), &p.version)?;
        extensions.set_item(intern!(py, "baton_attempts"), &p.attempts)?;
        if let Some(reason) = &p.reason {
            // HTTP/1.1 only, as httpcore: httpx derives an HTTP/2
            // response's phrase from its status code.
            extensions.set_item(intern!(py, "reason_phrase"), reason)?;
        }
        let stream = match &p.reader {
            None => self.complete.bind(py).call1((&p.prefix,))?,
            Some(reader) => self.streamed.bind(py).call1((&p.prefix, reader, request))?,
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item(intern!(py, "headers"), &p.headers)?;
        kwargs.set_item(intern!(py, "stream"), stream)?;
        kwargs.set_item(intern!(py, "extensions"), extensions)?;
        let response = self.response.bind(py).call((p.status.into_py_any(py)?,), Some(&kwargs))?;
        if p.reader.is_none() && p.identity {
            response.setattr(intern!(py, "_whole"), &p.prefix)?;
        }
        Ok(response.unbind())
    }
}
