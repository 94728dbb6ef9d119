//! `baton_http._core.Client`: a `baton::Client` and the calls that start
//! requests on it. Every option maps onto a `baton::ClientBuilder` method;
//! the retry policy, the pool and the verdicts are baton's own.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyTuple};

use crate::body::BodySender;
use crate::bridge::{Op, Outcome};
use crate::error::to_py;
use crate::httpx::HttpxResponses;
use crate::response::Head;
use crate::runtime::{Running, runtime};

/// A baton client (pool, retry budget, stats), shared by every request and
/// thread that uses it.
#[pyclass(frozen, module = "baton_http._core")]
pub(crate) struct Client {
    inner: baton::Client,
}

fn seconds(s: Option<f64>) -> PyResult<Option<Duration>> {
    s.map(|s| {
        Duration::try_from_secs_f64(s).map_err(|e| PyValueError::new_err(format!("invalid timeout {s}: {e}")))
    })
    .transpose()
}

/// `item` as a `(bytes, bytes)` pair, when it is exactly that.
fn fast_pair<'py>(item: &Bound<'py, PyAny>) -> Option<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let pair = item.cast::<PyTuple>().ok().filter(|t| t.len() == 2)?;
    let name = pair.get_item(0).ok()?.cast_into::<PyBytes>().ok()?;
    let value = pair.get_item(1).ok()?.cast_into::<PyBytes>().ok()?;
    Some((name, value))
}

/// The request as the Rust client takes it, checked.
struct Prepared {
    builder: baton::RequestBuilder,
}

type Timeouts4 = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);

impl Client {
    fn prepare(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        timeouts: Timeouts4,
    ) -> PyResult<Prepared> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| PyValueError::new_err(format!("invalid HTTP method {method:?}")))?;
        let mut map = HeaderMap::new();
        let mut bad = None;
        let mut add = |name: &[u8], value: &[u8]| match (
            HeaderName::from_bytes(name),
            HeaderValue::from_bytes(value),
        ) {
            (Ok(n), Ok(v)) => {
                map.append(n, v);
            }
            _ => {
                bad.get_or_insert_with(|| String::from_utf8_lossy(name).into_owned());
            }
        };
        // httpx and the pool hand over a list of (bytes, bytes): those are
        // read in place, anything else through the general conversion.
        for item in headers.try_iter()? {
            let item = item?;
            match fast_pair(&item) {
                Some((n, v)) => add(n.as_bytes(), v.as_bytes()),
                None => {
                    let (n, v): (PyBackedBytes, PyBackedBytes) = item.extract()?;
                    add(&n, &v);
                }
            }
        }
        let (connect, read, write, pool) = timeouts;
        let limits = baton::Timeouts {
            connect: seconds(connect)?,
            read: seconds(read)?,
            write: seconds(write)?,
            pool: seconds(pool)?,
        };
        let mut builder = self.inner.request(method, url).headers(map).timeouts(limits);
        if let Some(name) = bad {
            // A builder error, before any I/O, as the Rust client reports
            // a bad header (`LocalProtocolError` in Python).
            return Err(crate::error::local(py, format!("invalid header {name:?}")));
        }
        builder = match body {
            None => builder,
            Some(b) => {
                if let Ok(sender) = b.cast::<BodySender>() {
                    builder.body(baton::Body::wrap(sender.get().take_body()?))
                } else {
                    let bytes: PyBackedBytes = b.extract()?;
                    builder.body(Bytes::from_owner(bytes))
                }
            }
        };
        Ok(Prepared { builder })
    }
}

async fn exchange(builder: baton::RequestBuilder, eager: bool) -> Result<Head, baton::Error> {
    let response = builder.send().await?;
    Ok(Head::gather(response, eager).await)
}

/// What a finished request gives Python: the response as `finish` makes
/// it (an [`HttpxResponses`], or a function called with the parts tuple and
/// `context`), else the parts tuple; a failure raises `CoreError`, or what
/// `fail(error, context)` returns.
fn deliver(
    py: Python<'_>,
    result: Result<Head, baton::Error>,
    finish: Option<Py<PyAny>>,
    fail: Option<Py<PyAny>>,
    context: Option<Py<PyAny>>,
) -> PyResult<Py<PyAny>> {
    let context = context.unwrap_or_else(|| py.None());
    match (result, finish, fail) {
        (Ok(head), Some(finish), _) => match finish.bind(py).cast::<HttpxResponses>() {
            Ok(maker) => maker.get().build(py, head, context.bind(py)),
            Err(_) => finish.call1(py, (head.into_py(py)?, context)),
        },
        (Ok(head), None, _) => head.into_py(py),
        (Err(e), _, Some(fail)) => {
            let mapped = fail.call1(py, (to_py(py, e).into_value(py), context))?;
            Err(PyErr::from_value(mapped.into_bound(py)))
        }
        (Err(e), _, None) => Err(to_py(py, e)),
    }
}

#[pymethods]
impl Client {
    /// Builds the client; no connection is opened yet. `cert_pem` (with
    /// `key_pem`, or holding the key itself) is a client certificate chain
    /// presented to servers that ask for one (mutual TLS).
    #[new]
    #[pyo3(signature = (
        *,
        http1 = true,
        http2 = false,
        http2_prior_knowledge = false,
        verify = true,
        ca_pem = None,
        native_roots = false,
        cert_pem = None,
        key_pem = None,
        max_connections_per_origin = 8,
        max_http1_connections_per_origin = None,
        max_attempts = 4,
        replay_buffer = None,
        connect_timeout = None,
        pool_idle_timeout = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        http1: bool,
        http2: bool,
        http2_prior_knowledge: bool,
        verify: bool,
        ca_pem: Option<PyBackedBytes>,
        native_roots: bool,
        cert_pem: Option<PyBackedBytes>,
        key_pem: Option<PyBackedBytes>,
        max_connections_per_origin: usize,
        max_http1_connections_per_origin: Option<usize>,
        max_attempts: u32,
        replay_buffer: Option<usize>,
        connect_timeout: Option<f64>,
        pool_idle_timeout: Option<f64>,
    ) -> PyResult<Self> {
        // An httpx transport answers each request with its own response:
        // redirects are httpx's to follow (`follow_redirects`), and the
        // body goes up as it came, for httpx to decode (`Response.read`),
        // whatever cargo features the build turned on.
        let mut b = baton::Client::builder()
            .redirect(baton::redirect::Policy::none())
            .no_gzip()
            .no_brotli()
            .no_zstd()
            .no_deflate();
        match (http1, http2 || http2_prior_knowledge) {
            (true, false) => b = b.http1_only(),
            // httpx: `http1=False, http2=True` speaks HTTP/2 to http://
            // URLs without negotiation.
            (false, true) => b = b.http2_prior_knowledge(),
            (true, true) if http2_prior_knowledge => b = b.http2_prior_knowledge(),
            (true, true) => {}
            (false, false) => {
                return Err(PyValueError::new_err("at least one of http1 and http2 must be enabled"));
            }
        }
        b = b.max_connections_per_origin(max_connections_per_origin);
        if let Some(n) = max_http1_connections_per_origin {
            b = b.max_http1_connections_per_origin(n);
        }
        let mut policy = baton::RetryPolicy::default().max_attempts(max_attempts);
        if let Some(n) = replay_buffer {
            policy = policy.replay_buffer(n);
        }
        b = b.retry(policy);
        if let Some(d) = seconds(connect_timeout)? {
            b = b.connect_timeout(d);
        }
        if let Some(d) = seconds(pool_idle_timeout)? {
            b = b.pool_idle_timeout(d);
        }
        if !verify {
            b = b.danger_accept_invalid_certs(true);
        } else if let Some(pem) = ca_pem {
            // A CA bundle replaces the default roots, as in httpx.
            b = b.add_root_certificates_pem(&pem).map_err(|e| PyValueError::new_err(e.to_string()))?;
            b = b.tls_built_in_roots(false);
        } else if native_roots {
            b = b.tls_native_roots(true);
        }
        match (&cert_pem, &key_pem) {
            // mTLS: the certificate chain and its key, as httpx's `cert=`.
            (Some(cert), key) => {
                let identity = baton::Identity::from_pem_parts(cert, key.as_deref().unwrap_or(cert))
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                b = b.identity(identity);
            }
            (None, Some(_)) => return Err(PyValueError::new_err("key_pem needs cert_pem")),
            (None, None) => {}
        }
        let inner = b.build().map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self { inner })
    }

    /// A request, sent once its op is waited for (or `Op.start()`ed); the
    /// op gives the response tuple (see `Head`), or `finish(parts,
    /// context)` when `finish` is given; a failure raises `CoreError`, or
    /// what `fail(error, context)` returns when `fail` is given (so an httpx
    /// transport's op gives the `httpx.Response` or raises httpx's class
    /// itself, with no coroutine around it). `body` is `bytes`, a
    /// `BodySender`, or None. `timeouts` is httpx's (connect, read, write,
    /// pool) in seconds. With `eager`, a body with a `Content-Length` up to
    /// 1 MiB is read before the head is handed over.
    #[pyo3(signature = (method, url, headers, body, timeouts, eager, finish = None, fail = None, context = None))]
    #[allow(clippy::too_many_arguments)] // the Python call's arguments
    fn start(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        timeouts: Timeouts4,
        eager: bool,
        finish: Option<Py<PyAny>>,
        fail: Option<Py<PyAny>>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Op> {
        let Prepared { builder } = self.prepare(py, method, url, headers, body, timeouts)?;
        let fut = async move {
            let result = exchange(builder, eager).await;
            Box::new(move |py: Python<'_>| deliver(py, result, finish, fail, context)) as Outcome
        };
        Ok(Op::new(fut))
    }

    /// The same, waiting without the GIL on the calling thread.
    #[pyo3(signature = (method, url, headers, body, timeouts, eager, finish = None, fail = None, context = None))]
    #[allow(clippy::too_many_arguments)] // the Python call's arguments
    fn send(
        &self,
        py: Python<'_>,
        method: &str,
        url: &str,
        headers: &Bound<'_, PyAny>,
        body: Option<&Bound<'_, PyAny>>,
        timeouts: Timeouts4,
        eager: bool,
        finish: Option<Py<PyAny>>,
        fail: Option<Py<PyAny>>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let Prepared { builder } = self.prepare(py, method, url, headers, body, timeouts)?;
        let rt = runtime()?;
        let result = py.detach(move || {
            let _running = Running::start();
            rt.block_on(exchange(builder, eager))
        });
        deliver(py, result, finish, fail, context)
    }

    /// The client's counters: requests, responses, connections opened,
    /// GOAWAYs by code, streams refused, retries by reason, failures by
    /// verdict.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.stats();
        let d = pyo3::types::PyDict::new(py);
        d.set_item("requests", s.requests)?;
        d.set_item("responses", s.responses)?;
        d.set_item("connections_opened", s.connections_opened)?;
        d.set_item("go_aways", s.go_aways.clone())?;
        d.set_item("streams_refused", s.streams_refused)?;
        d.set_item("retries", s.retries.clone())?;
        d.set_item("failures", s.failures.clone())?;
        Ok(d.into_any().unbind())
    }
}
