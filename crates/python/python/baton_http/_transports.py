"""httpx transports on baton: `HTTPTransport` and `AsyncHTTPTransport`.

Use them where httpx takes a transport::

    client = httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http2=True))

They take httpx's own transport arguments where those mean something here
and behave as httpx's default transport does: the same exception classes,
``extensions["http_version"]`` and ``["reason_phrase"]``, the four timeouts
of ``extensions["timeout"]``, streamed request and response bodies. On top,
baton retries every request the server provably did not process (GOAWAY,
REFUSED_STREAM, a connection closed before the request left), idempotent
ones once when the outcome is unknown, and says how far a failed request got
(``__cause__``: `ConnectionGoingAway` or `RequestVerdict`). Successful
responses carry their attempts in ``extensions["baton_attempts"]``.
"""

from __future__ import annotations

import asyncio
import typing

import httpx

from . import _core
from ._errors import CoreError, to_httpcore
from ._options import make_client, timeouts_of
from ._pump import send_sync, start_async

__all__ = ["AsyncHTTPTransport", "HTTPTransport"]


def _to_httpx(err: CoreError, request: httpx.Request) -> Exception:
    core = to_httpcore(err)
    cls = getattr(httpx, type(core).__name__, httpx.TransportError)
    exc = cls(str(core), request=request)
    exc.attempts = err.attempts  # type: ignore[attr-defined]
    exc.processing = err.processing  # type: ignore[attr-defined]
    exc.__cause__ = core.__cause__
    return exc


def _fail(err: BaseException, request: httpx.Request) -> BaseException:
    """The exception a failed operation raises (httpx's class for a core
    error, chained as `_to_httpx` does)."""
    return _to_httpx(err, request) if isinstance(err, CoreError) else err


def _content(request: httpx.Request) -> typing.Optional[bytes]:
    """The body when it is in memory, else None (a stream to pump)."""
    try:
        return request.content
    except httpx.RequestNotRead:
        return None


class _SyncStream(httpx.SyncByteStream):
    def __init__(self, prefix: bytes, reader: "_core.BodyReader", request: httpx.Request) -> None:
        self._prefix = prefix
        self._reader = reader
        self._request = request

    def __iter__(self) -> typing.Iterator[bytes]:
        if self._prefix:
            prefix, self._prefix = self._prefix, b""
            yield prefix
        reader = self._reader
        while True:
            try:
                chunk = reader.next_blocking()
            except CoreError as e:
                exc = _to_httpx(e, self._request)
                raise exc from exc.__cause__
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        self._reader.close()


class _AsyncStream(httpx.AsyncByteStream):
    #: A streamed upload's pump, set by `AsyncHTTPTransport._streamed`: held
    #: while the body is read, since the loop holds its tasks weakly.
    _pump: typing.Optional["asyncio.Future"] = None

    def __init__(self, prefix: bytes, reader: "_core.BodyReader", request: httpx.Request) -> None:
        self._prefix = prefix
        self._reader = reader
        self._request = request

    async def __aiter__(self) -> typing.AsyncIterator[bytes]:
        if self._prefix:
            prefix, self._prefix = self._prefix, b""
            yield prefix
        reader = self._reader
        while True:
            try:
                chunk = await reader.next()
            except CoreError as e:
                exc = _to_httpx(e, self._request)
                raise exc from exc.__cause__
            if chunk is None:
                return
            yield chunk

    async def aclose(self) -> None:
        self._reader.close()


class _Response(httpx.Response):
    """An `httpx.Response` whose whole body the transport already holds.

    httpx reads a response (`Client.send`, `Response.read`/`aread`) through
    its chain of stream iterators (`iter_bytes`, `iter_raw`, the client's
    bound stream, ours), one generator step per layer, even for a body that
    is complete in memory. When the body is complete and has no
    ``Content-Encoding`` (the bytes received are the content), `read` and
    `aread` here take it at once and close the response as the end of that
    chain does (so ``elapsed`` is set and the stream closed as usual).
    Anything else (streaming it, reading it a second time, a body still
    arriving or to decode) is httpx's own code.
    """

    #: The complete body, until it is read (None: httpx's way).
    _whole: typing.Optional[bytes] = None

    def _take_whole(self) -> typing.Optional[bytes]:
        whole = self._whole
        if whole is None or self.is_stream_consumed or self.is_closed or hasattr(self, "_content"):
            return None
        self._whole = None
        # What `iter_raw` leaves behind once it has gone through the body.
        self.is_stream_consumed = True
        self._num_bytes_downloaded = len(whole)
        self._content = whole
        return whole

    def read(self) -> bytes:
        whole = self._take_whole()
        if whole is None:
            return super().read()
        self.close()
        self._unbind()
        return whole

    async def aread(self) -> bytes:
        whole = self._take_whole()
        if whole is None:
            return await super().aread()
        await self.aclose()
        self._unbind()
        return whole

    def _unbind(self) -> None:
        """Once read and closed, the response lets go of its stream: the
        client's wrapper around it points back at the response, a cycle
        that only the cycle collector would free (with the body in it).
        A closed response never reads its stream again."""
        self.stream = _CLOSED


#: The stream of a response read and closed (`_Response._unbind`).
_CLOSED = httpx.ByteStream(b"")


def _headers_layout_ok() -> bool:
    """Whether `httpx.Headers` keeps its items as this httpx versions do
    (``_list`` of (raw name, lower-case name, value)), so that the core can
    fill it in directly instead of having httpx normalise every pair."""
    try:
        if httpx.Headers([(b"X-A", b"v")])._list != [(b"X-A", b"x-a", b"v")]:
            return False
        probe = httpx.Headers()
        probe._list = [(b"x-a", b"x-a", b"v")]
        copy = httpx.Response(200, headers=probe).headers
        return copy.raw == [(b"x-a", b"v")] and copy["X-A"] == "v" and copy.multi_items() == [("x-a", "v")]
    except Exception:
        return False


_HEADERS = httpx.Headers if _headers_layout_ok() else None
#: How the core builds the `httpx.Response` of each transport.
_ASYNC_RESPONSES = _core.HttpxResponses(_Response, _HEADERS, httpx.ByteStream, _AsyncStream)
_SYNC_RESPONSES = _core.HttpxResponses(_Response, _HEADERS, httpx.ByteStream, _SyncStream)


class _Options:
    def __init__(
        self,
        verify: typing.Any = True,
        cert: typing.Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: typing.Optional[httpx.Limits] = None,
        proxy: typing.Any = None,
        uds: typing.Optional[str] = None,
        local_address: typing.Optional[str] = None,
        retries: int = 0,
        socket_options: typing.Any = None,
        *,
        http2_prior_knowledge: bool = False,
        max_attempts: typing.Optional[int] = None,
        replay_buffer: typing.Optional[int] = None,
        max_connections_per_origin: typing.Optional[int] = None,
    ) -> None:
        for name, value in (("proxy", proxy), ("uds", uds), ("local_address", local_address), ("socket_options", socket_options)):
            if value is not None:
                raise ValueError(f"baton_http does not support {name}=")
        max_connections = keepalive_expiry = None
        if limits is not None:
            max_connections = limits.max_connections
            keepalive_expiry = limits.keepalive_expiry
        self.core = make_client(
            verify=verify,
            cert=cert,
            trust_env=trust_env,
            http1=http1,
            http2=http2,
            http2_prior_knowledge=http2_prior_knowledge,
            max_connections=max_connections,
            keepalive_expiry=keepalive_expiry,
            retries=retries,
            max_attempts=max_attempts,
            replay_buffer=replay_buffer,
            max_connections_per_origin=max_connections_per_origin,
        )


class HTTPTransport(httpx.BaseTransport):
    """A sync httpx transport on baton, safe to share between threads.

    Arguments as `httpx.HTTPTransport`'s: ``verify`` (bool, CA bundle path,
    or an `ssl.SSLContext` whose ``verify_mode`` is honoured), ``trust_env``
    (``SSL_CERT_FILE``), ``http1``, ``http2`` (``http1=False, http2=True``
    speaks HTTP/2 to ``http://`` URLs with prior knowledge), ``limits``
    (``max_connections`` per origin for HTTP/1.1, ``keepalive_expiry``),
    ``retries`` (attempts for connects: at least ``retries + 1``), ``cert``
    (mutual TLS: a PEM file with the certificate and its key, or
    ``(certfile, keyfile)``; an encrypted key, ``(certfile, keyfile,
    password)``, raises `ValueError`). ``proxy``, ``uds``, ``local_address``
    and ``socket_options`` are not supported and raise `ValueError`.
    baton's own: ``http2_prior_knowledge``, ``max_attempts`` (per request, default 4), ``replay_buffer`` (bytes of a
    streamed upload kept for a retry, default 256 KiB),
    ``max_connections_per_origin`` (HTTP/2, default 8).
    """

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        self._core = _Options(*args, **kwargs).core

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method = request.method
        url = str(request.url)
        headers = request.headers.raw
        # `Client.send`'s arguments after the body.
        rest = (timeouts_of(request.extensions), True, _SYNC_RESPONSES, None, request)
        content = _content(request)
        try:
            if content is not None:
                return self._core.send(method, url, headers, content or None, *rest)  # type: ignore[no-any-return]
            return send_sync(self._core, (method, url, headers), request.stream, rest)  # type: ignore[arg-type]
        except CoreError as e:
            exc = _to_httpx(e, request)
            raise exc from exc.__cause__

    def close(self) -> None:
        pass


class AsyncHTTPTransport(httpx.AsyncBaseTransport):
    """An asyncio httpx transport on baton; arguments as `HTTPTransport`'s.
    Under trio it raises `RuntimeError` (see `baton_http._bridge`)."""

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        self._core = _Options(*args, **kwargs).core

    def handle_async_request(self, request: httpx.Request) -> typing.Awaitable[httpx.Response]:  # type: ignore[override]
        """httpx's transport method. Not a coroutine function: for a body in
        memory it returns the core's operation, which httpx awaits directly
        and which gives the `httpx.Response` (or raises httpx's class)
        itself; a streamed body goes through a coroutine that feeds it."""
        try:
            content = request.content
        except httpx.RequestNotRead:
            return self._streamed(request)
        return self._core.start(
            request.method,
            str(request.url),
            request.headers.raw,
            content or None,
            timeouts_of(request.extensions),
            True,
            _ASYNC_RESPONSES,
            _fail,
            request,
        )

    async def _streamed(self, request: httpx.Request) -> httpx.Response:
        args = (request.method, str(request.url), request.headers.raw)
        timeouts = timeouts_of(request.extensions)
        try:
            rest = (timeouts, True, _ASYNC_RESPONSES, None, request)
            response, pump = await start_async(self._core, args, request.stream, rest)  # type: ignore[arg-type]
        except CoreError as e:
            exc = _to_httpx(e, request)
            raise exc from exc.__cause__
        if isinstance(response.stream, _AsyncStream):
            # The body still arriving keeps the upload's pump alive while
            # the server reads on.
            response.stream._pump = pump
        return response  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        pass
