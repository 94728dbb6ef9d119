"""An httpcore-shaped pool on baton: `ConnectionPool` and
`AsyncConnectionPool`, with ``request(method, url, headers=, content=,
extensions=)`` and ``stream(...)`` as httpcore has them, `handle_request` /
`handle_async_request` for httpcore `Request` objects, and httpcore's
exception classes. This is also baton_http's fast native API: no httpx in
the way.
"""

from __future__ import annotations

import contextlib
import typing

import httpcore

from ._errors import CoreError, to_httpcore
from ._options import make_client, timeouts_of
from ._pump import send_sync, start_async

__all__ = ["AsyncConnectionPool", "ConnectionPool"]

HeadersLike = typing.Union[None, typing.Mapping[typing.Any, typing.Any], typing.Sequence[typing.Tuple[typing.Any, typing.Any]]]


# httpcore keeps in-memory bodies in a class it does not export.
_BYTE_STREAM = type(httpcore.Request("GET", "http://localhost/", content=b"x").stream)


def _b(v: typing.Union[bytes, str]) -> bytes:
    return v if isinstance(v, bytes) else v.encode("ascii")


def _headers(headers: HeadersLike) -> list:
    if not headers:
        return []
    items = headers.items() if isinstance(headers, typing.Mapping) else headers
    return [(_b(k), _b(v)) for k, v in items]


def _url(url: typing.Any) -> str:
    if isinstance(url, str):
        return url
    if isinstance(url, bytes):
        return url.decode("ascii")
    if isinstance(url, httpcore.URL):
        return bytes(url).decode("ascii")
    return str(url)


def _method(method: typing.Union[bytes, str]) -> str:
    return method.decode("ascii") if isinstance(method, bytes) else method


def _raise(err: CoreError) -> typing.NoReturn:
    exc = to_httpcore(err)
    raise exc from exc.__cause__


def _extensions(parts: tuple) -> dict:
    extensions = {"http_version": parts[2], "baton_attempts": parts[6]}
    if parts[3] is not None:
        # HTTP/1.1 only, as httpcore.
        extensions["reason_phrase"] = parts[3]
    return extensions


class _SyncBody:
    """The rest of a streamed response body, as httpcore's stream protocol
    wants it (iterable, with ``close()``)."""

    def __init__(self, prefix: bytes, reader: typing.Any) -> None:
        self._prefix = prefix
        self._reader = reader

    def __iter__(self) -> typing.Iterator[bytes]:
        if self._prefix:
            prefix, self._prefix = self._prefix, b""
            yield prefix
        if self._reader is None:
            return
        while True:
            try:
                chunk = self._reader.next_blocking()
            except CoreError as e:
                _raise(e)
            if chunk is None:
                return
            yield chunk

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()


class _AsyncBody:
    def __init__(self, prefix: bytes, reader: typing.Any) -> None:
        self._prefix = prefix
        self._reader = reader

    async def __aiter__(self) -> typing.AsyncIterator[bytes]:
        if self._prefix:
            prefix, self._prefix = self._prefix, b""
            yield prefix
        if self._reader is None:
            return
        while True:
            try:
                chunk = await self._reader.next()
            except CoreError as e:
                _raise(e)
            if chunk is None:
                return
            yield chunk

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.close()


class _PoolOptions:
    def __init__(
        self,
        ssl_context: typing.Any = None,
        proxy: typing.Any = None,
        max_connections: typing.Optional[int] = 10,
        max_keepalive_connections: typing.Optional[int] = None,
        keepalive_expiry: typing.Optional[float] = None,
        http1: bool = True,
        http2: bool = False,
        retries: int = 0,
        local_address: typing.Optional[str] = None,
        uds: typing.Optional[str] = None,
        network_backend: typing.Any = None,
        socket_options: typing.Any = None,
        *,
        verify: typing.Any = True,
        http2_prior_knowledge: bool = False,
        max_attempts: typing.Optional[int] = None,
        replay_buffer: typing.Optional[int] = None,
        max_connections_per_origin: typing.Optional[int] = None,
    ) -> None:
        for name, value in (
            ("proxy", proxy),
            ("uds", uds),
            ("local_address", local_address),
            ("network_backend", network_backend),
            ("socket_options", socket_options),
        ):
            if value is not None:
                raise ValueError(f"baton_http does not support {name}=")
        self.core = make_client(
            verify=ssl_context if ssl_context is not None else verify,
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


class ConnectionPool:
    """httpcore's `ConnectionPool`, on baton. Arguments as httpcore's
    (``ssl_context``, ``max_connections`` — per origin here —,
    ``keepalive_expiry``, ``http1``, ``http2``, ``retries``) plus ``verify``
    and baton's ``http2_prior_knowledge``, ``max_attempts``,
    ``replay_buffer``, ``max_connections_per_origin``. Safe to share between
    threads; the GIL is released while a request waits."""

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        self._core = _PoolOptions(*args, **kwargs).core

    def request(
        self,
        method: typing.Union[bytes, str],
        url: typing.Any,
        *,
        headers: HeadersLike = None,
        content: typing.Union[bytes, typing.Iterable[bytes], None] = None,
        extensions: typing.Optional[dict] = None,
    ) -> httpcore.Response:
        """Sends a request and reads the whole response."""
        parts = self._send(method, url, headers, content, extensions or {}, True)
        body = parts[4]
        if parts[5] is not None:
            body = b"".join(_SyncBody(body, parts[5]))
        response = httpcore.Response(parts[0], headers=parts[1], content=body, extensions=_extensions(parts))
        response.read()
        return response

    @contextlib.contextmanager
    def stream(
        self,
        method: typing.Union[bytes, str],
        url: typing.Any,
        *,
        headers: HeadersLike = None,
        content: typing.Union[bytes, typing.Iterable[bytes], None] = None,
        extensions: typing.Optional[dict] = None,
    ) -> typing.Iterator[httpcore.Response]:
        """Sends a request; the response body is read as the block iterates
        ``response.iter_stream()``, and abandoned when the block ends."""
        response = self._handle(method, url, headers, content, extensions or {}, False)
        try:
            yield response
        finally:
            response.close()

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        """httpcore's transport method: the response body streams."""
        return self._handle(request.method, request.url, request.headers, request.stream, request.extensions, True)

    def _handle(self, method: typing.Any, url: typing.Any, headers: HeadersLike, content: typing.Any, extensions: dict, eager: bool) -> httpcore.Response:
        parts = self._send(method, url, headers, content, extensions, eager)
        return httpcore.Response(parts[0], headers=parts[1], content=_SyncBody(parts[4], parts[5]), extensions=_extensions(parts))

    def _send(self, method: typing.Any, url: typing.Any, headers: HeadersLike, content: typing.Any, extensions: dict, eager: bool) -> tuple:
        timeouts = timeouts_of(extensions)
        args = (_method(method), _url(url), _headers(headers))
        try:
            if content is None or isinstance(content, bytes):
                return self._core.send(*args, content or None, timeouts, eager)
            if isinstance(content, _BYTE_STREAM):
                return self._core.send(*args, b"".join(content) or None, timeouts, eager)
            return send_sync(self._core, args, content, (timeouts, eager))
        except CoreError as e:
            _raise(e)

    def stats(self) -> dict:
        """baton's counters: connections opened, GOAWAYs by code, retries
        by reason, failures by verdict."""
        return self._core.stats()

    def close(self) -> None:
        pass

    def __enter__(self) -> "ConnectionPool":
        return self

    def __exit__(self, *args: typing.Any) -> None:
        self.close()


class AsyncConnectionPool:
    """httpcore's `AsyncConnectionPool`, on baton (asyncio); arguments as
    `ConnectionPool`'s."""

    def __init__(self, *args: typing.Any, **kwargs: typing.Any) -> None:
        self._core = _PoolOptions(*args, **kwargs).core

    async def request(
        self,
        method: typing.Union[bytes, str],
        url: typing.Any,
        *,
        headers: HeadersLike = None,
        content: typing.Union[bytes, typing.AsyncIterable[bytes], None] = None,
        extensions: typing.Optional[dict] = None,
    ) -> httpcore.Response:
        """Sends a request and reads the whole response."""
        parts = await self._send(method, url, headers, content, extensions or {}, True)
        body = parts[4]
        if parts[5] is not None:
            body = b"".join([c async for c in _AsyncBody(body, parts[5])])
        response = httpcore.Response(parts[0], headers=parts[1], content=body, extensions=_extensions(parts))
        response.read()
        return response

    @contextlib.asynccontextmanager
    async def stream(
        self,
        method: typing.Union[bytes, str],
        url: typing.Any,
        *,
        headers: HeadersLike = None,
        content: typing.Union[bytes, typing.AsyncIterable[bytes], None] = None,
        extensions: typing.Optional[dict] = None,
    ) -> typing.AsyncIterator[httpcore.Response]:
        """Sends a request; the body streams while the block runs."""
        response = await self._handle(method, url, headers, content, extensions or {}, False)
        try:
            yield response
        finally:
            await response.aclose()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        """httpcore's transport method: the response body streams."""
        return await self._handle(request.method, request.url, request.headers, request.stream, request.extensions, True)

    async def _handle(self, method: typing.Any, url: typing.Any, headers: HeadersLike, content: typing.Any, extensions: dict, eager: bool) -> httpcore.Response:
        parts = await self._send(method, url, headers, content, extensions, eager)
        return httpcore.Response(parts[0], headers=parts[1], content=_AsyncBody(parts[4], parts[5]), extensions=_extensions(parts))

    async def _send(self, method: typing.Any, url: typing.Any, headers: HeadersLike, content: typing.Any, extensions: dict, eager: bool) -> tuple:
        timeouts = timeouts_of(extensions)
        args = (_method(method), _url(url), _headers(headers))
        try:
            if content is None or isinstance(content, bytes):
                return await self._core.start(*args, content or None, timeouts, eager)
            if isinstance(content, _BYTE_STREAM):
                whole = b"".join([c async for c in content])
                return await self._core.start(*args, whole or None, timeouts, eager)
            parts, _pump = await start_async(self._core, args, content, (timeouts, eager))
            return parts
        except CoreError as e:
            _raise(e)

    def stats(self) -> dict:
        """baton's counters (see `ConnectionPool.stats`)."""
        return self._core.stats()

    async def aclose(self) -> None:
        pass

    async def __aenter__(self) -> "AsyncConnectionPool":
        return self

    async def __aexit__(self, *args: typing.Any) -> None:
        await self.aclose()
