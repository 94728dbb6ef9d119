"""Failures raise the httpx class httpx's default transport raises for the
same cause, each test running both transports against the same server, and
nothing hangs (every wait here is bounded by a short timeout)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import typing

import httpx
import pytest

import baton_http


def transports(http2: bool = False) -> typing.List[typing.Tuple[str, typing.Callable[..., httpx.BaseTransport]]]:
    opts = dict(http1=False, http2=True) if http2 else {}
    return [
        ("httpx", lambda **kw: httpx.HTTPTransport(**{**opts, **kw})),
        ("baton", lambda **kw: baton_http.HTTPTransport(**{**opts, **kw})),
    ]


def raised(transport: httpx.BaseTransport, method: str, url: str, **kw: typing.Any) -> BaseException:
    with httpx.Client(transport=transport) as client:
        with pytest.raises(httpx.HTTPError) as info:
            client.request(method, url, **kw)
    return info.value


def same_class(expected: type, make: typing.Callable[[], typing.Tuple[str, str]], **kw: typing.Any) -> None:
    """Both transports raise `expected` (exactly) for the request `make()`."""
    http2 = kw.pop("http2", False)
    tkw = kw.pop("transport", {})
    for name, factory in transports(http2):
        method, url = make()
        exc = raised(factory(**tkw), method, url, **kw)
        assert type(exc) is expected, f"{name}: {type(exc).__name__}: {exc}"


@contextlib.contextmanager
def raw_server(handle: typing.Callable[[socket.socket], None], backlog: int = 16) -> typing.Iterator[int]:
    """A TCP server on 127.0.0.1 whose connections `handle` serves, each in
    its own thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(backlog)
    stop = threading.Event()
    conns: typing.List[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for c in conns:
            c.close()
        listener.close()


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_refused_connection_is_connect_error() -> None:
    port = free_port()
    same_class(httpx.ConnectError, lambda: ("GET", f"http://127.0.0.1:{port}/"))


def test_connect_timeout() -> None:
    # A listener that never accepts, its queue full: later SYNs go
    # unanswered, so the connect waits.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        timeout = httpx.Timeout(5.0, connect=0.3)
        same_class(httpx.ConnectTimeout, lambda: ("GET", f"http://127.0.0.1:{port}/"), timeout=timeout)
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_read_timeout(lab) -> None:
    timeout = httpx.Timeout(5.0, read=0.2)
    same_class(httpx.ReadTimeout, lambda: ("GET", lab.url("/delay/3000")), timeout=timeout)


def test_read_timeout_in_the_body(lab) -> None:
    # Head at once, then a pause longer than the read timeout.
    timeout = httpx.Timeout(5.0, read=0.2)
    same_class(httpx.ReadTimeout, lambda: ("GET", lab.url("/stream/300?chunk=100&interval=1000")), timeout=timeout)


def test_write_timeout() -> None:
    # A server that reads nothing: a streamed upload fills the socket's
    # buffers, then stalls.
    def handle(conn: socket.socket) -> None:
        threading.Event().wait(5)

    def upload() -> typing.Iterator[bytes]:
        chunk = b"u" * (1 << 20)
        for _ in range(256):
            yield chunk

    with raw_server(handle) as port:
        timeout = httpx.Timeout(5.0, write=0.3)
        same_class(httpx.WriteTimeout, lambda: ("POST", f"http://127.0.0.1:{port}/"), timeout=timeout, content=upload())


def test_pool_timeout(lab) -> None:
    limits = httpx.Limits(max_connections=1)
    for name, factory in transports():
        transport = factory(limits=limits)

        async def main() -> BaseException:
            async with httpx.AsyncClient(transport=_async_of(name, limits)) as client:
                slow = asyncio.ensure_future(client.get(lab.url("/delay/1000")))
                await asyncio.sleep(0.2)
                with pytest.raises(httpx.HTTPError) as info:
                    await client.get(lab.url("/bytes/1"), timeout=httpx.Timeout(5.0, pool=0.2))
                await slow
                return info.value

        exc = asyncio.run(main())
        assert type(exc) is httpx.PoolTimeout, f"{name}: {type(exc).__name__}: {exc}"
        transport.close()


def _async_of(name: str, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    if name == "httpx":
        return httpx.AsyncHTTPTransport(limits=limits)
    return baton_http.AsyncHTTPTransport(limits=limits)


def test_tls_failure_is_connect_error_and_a_ca_bundle_fixes_it(start_lab) -> None:
    lab = start_lab("normal", tls=True)
    same_class(httpx.ConnectError, lambda: ("GET", lab.url("/bytes/10")))
    with httpx.Client(transport=baton_http.HTTPTransport(verify=lab.certificate, http2=True)) as client:
        r = client.get(lab.url("/bytes/10"))
        assert r.status_code == 200 and r.http_version == "HTTP/2"
    with httpx.Client(transport=baton_http.HTTPTransport(verify=False)) as client:
        assert client.get(lab.url("/bytes/10")).status_code == 200


def test_bad_url_scheme_is_unsupported_protocol(lab) -> None:
    same_class(httpx.UnsupportedProtocol, lambda: ("GET", "ftp://127.0.0.1/"))


def test_header_the_wire_cannot_carry_is_local_protocol_error(lab) -> None:
    # httpx accepts any bytes in a header name; HTTP does not (RFC 9110 §5.1).
    same_class(httpx.LocalProtocolError, lambda: ("GET", lab.url("/")), headers={"bad header": "x"})


def test_server_that_breaks_http2_is_remote_protocol_error() -> None:
    # It answers HTTP/2 prior knowledge in HTTP/1.1.
    def handle(conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            # Closing with the client's later frames unread would reset the
            # connection (a ReadError for httpx's own transport): end our
            # side, and read until the client closes.
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(2.0)
            while conn.recv(65536):
                pass
            conn.close()

    with raw_server(handle) as port:
        same_class(httpx.RemoteProtocolError, lambda: ("GET", f"http://127.0.0.1:{port}/"), http2=True, timeout=2.0)


def test_failures_carry_the_verdict_and_the_journal() -> None:
    port = free_port()
    exc = raised(baton_http.HTTPTransport(), "GET", f"http://127.0.0.1:{port}/")
    assert len(exc.attempts) >= 1  # type: ignore[attr-defined]
    assert "connect" in str(exc).lower()


def test_trio_gets_a_clear_error(lab) -> None:
    trio = pytest.importorskip("trio")

    async def main() -> None:
        async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport()) as client:
            with pytest.raises(RuntimeError, match="asyncio"):
                await client.get(lab.url("/bytes/1"))

    trio.run(main)
