"""One GET, POST and streamed exchange through each face of baton_http."""

from __future__ import annotations

import asyncio
import collections.abc

import httpx
import pytest

import baton_http


def test_sync_transport_get_and_post(lab) -> None:
    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True)) as client:
        r = client.get(lab.url("/bytes/100"))
        assert r.status_code == 200
        assert len(r.content) == 100
        assert r.extensions["http_version"] == b"HTTP/2"
        assert r.http_version == "HTTP/2"
        # HTTP/2 has no reason phrase: as with httpx's own transport, the
        # extension is absent and httpx names the status itself.
        assert "reason_phrase" not in r.extensions
        assert r.reason_phrase == "OK"
        attempts = r.extensions["baton_attempts"]
        assert len(attempts) == 1 and isinstance(attempts, collections.abc.Sequence)
        assert attempts[0] is attempts[-1] and attempts[0:1] == (attempts[0],)
        assert list(attempts) == [attempts[0]]
        assert attempts[0].http_version == "HTTP/2" and attempts[0].retried is None
        with pytest.raises(IndexError):
            attempts[1]
        r = client.post(lab.url("/echo"), content=b"hello")
        assert r.content == b"hello"


def test_async_transport_get_and_post(lab) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http1=False, http2=True)) as client:
            r = await client.get(lab.url("/bytes/100"))
            assert r.status_code == 200 and len(r.content) == 100
            r = await client.post(lab.url("/echo"), content=b"hello")
            assert r.content == b"hello"
            rs = await asyncio.gather(*[client.get(lab.url("/bytes/1000")) for _ in range(50)])
            assert all(len(r.content) == 1000 for r in rs)

    asyncio.run(main())


def test_http1_by_default_as_httpx(lab) -> None:
    with httpx.Client(transport=baton_http.HTTPTransport()) as client:
        r = client.get(lab.url("/bytes/10"))
        assert r.http_version == "HTTP/1.1"
        assert r.extensions["reason_phrase"] == b"OK"
        assert r.reason_phrase == "OK"


def test_http1_reason_phrase_is_what_the_server_sent_as_with_httpx() -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"

    def serve() -> None:
        # Each connection: one request, answered with a phrase of its own.
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 Fine, Thanks\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")

    threading.Thread(target=serve, daemon=True).start()
    try:
        with httpx.Client() as plain:
            expected = plain.get(url)
        assert expected.extensions["reason_phrase"] == b"Fine, Thanks"
        with httpx.Client(transport=baton_http.HTTPTransport()) as client:
            r = client.get(url)
        assert r.extensions["reason_phrase"] == expected.extensions["reason_phrase"]
        assert r.reason_phrase == expected.reason_phrase == "Fine, Thanks"

        async def main() -> None:
            async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport()) as client:
                r = await client.get(url)
                assert r.extensions["reason_phrase"] == b"Fine, Thanks"
            async with baton_http.AsyncConnectionPool() as pool:
                r = await pool.request("GET", url)
                assert r.extensions["reason_phrase"] == b"Fine, Thanks"

        asyncio.run(main())
    finally:
        listener.close()


def _state(r: httpx.Response) -> tuple:
    """What a caller can see of a response that httpx has read."""
    return (r.status_code, r.content, r.is_closed, r.is_stream_consumed, r.num_bytes_downloaded, r.elapsed.total_seconds() >= 0)


def test_a_complete_body_reads_as_with_httpxs_own_transport(lab) -> None:
    """The transport hands a body that has fully arrived to httpx at once
    (`_transports._Response`): what the caller sees after `get`, `stream`
    and a second read is what httpx's own transport gives, and a gzip body
    is still decoded by httpx."""
    paths = ["/bytes/100", "/bytes/0", "/text/3000?encoding=gzip"]

    def sync_view(transport: httpx.BaseTransport) -> list:
        out = []
        with httpx.Client(transport=transport) as client:
            for path in paths:
                r = client.get(lab.url(path))
                out.append(_state(r) + (r.read() == r.content, r.headers.get("content-encoding")))
            with client.stream("GET", lab.url("/bytes/100")) as r:
                out.append((b"".join(r.iter_raw()), r.is_stream_consumed))
                with pytest.raises(httpx.StreamConsumed):
                    r.read()
            with client.stream("GET", lab.url("/bytes/100")) as r:
                out.append((r.read(), list(r.iter_bytes()), r.is_closed))
            out.append(r.is_closed)
        return out

    async def async_view(transport: httpx.AsyncBaseTransport) -> list:
        out = []
        async with httpx.AsyncClient(transport=transport) as client:
            for path in paths:
                r = await client.get(lab.url(path))
                out.append(_state(r) + ((await r.aread()) == r.content, r.headers.get("content-encoding")))
            async with client.stream("GET", lab.url("/bytes/100")) as r:
                out.append((b"".join([c async for c in r.aiter_raw()]), r.is_stream_consumed))
                with pytest.raises(httpx.StreamConsumed):
                    await r.aread()
            async with client.stream("GET", lab.url("/bytes/100")) as r:
                out.append((await r.aread(), [c async for c in r.aiter_bytes()], r.is_closed))
            out.append(r.is_closed)
        return out

    expected = sync_view(httpx.HTTPTransport())
    assert expected[2][1].startswith(b"line 0: ") and expected[2][-1] == "gzip"
    assert sync_view(baton_http.HTTPTransport()) == expected
    assert asyncio.run(async_view(httpx.AsyncHTTPTransport())) == expected
    assert asyncio.run(async_view(baton_http.AsyncHTTPTransport())) == expected
    assert asyncio.run(async_view(baton_http.AsyncHTTPTransport(http1=False, http2=True))) == expected


def test_a_response_read_whole_is_freed_without_the_cycle_collector(lab) -> None:
    """httpx's client wraps the response's stream in one that points back at
    the response; once the transport has handed the whole body over and the
    response is closed, it lets go of that stream, so a dropped response
    (and its body) is freed at once."""
    import gc
    import weakref

    async def main() -> None:
        async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http1=False, http2=True)) as client:
            await client.get(lab.url("/bytes/100"))
            gc.disable()
            try:
                r = await client.get(lab.url("/bytes/1000"))
                assert len(r.content) == 1000 and r.is_closed and r.elapsed.total_seconds() >= 0
                ref = weakref.ref(r)
                del r
                assert ref() is None
            finally:
                gc.enable()

    asyncio.run(main())
    with httpx.Client(transport=baton_http.HTTPTransport()) as client:
        gc.disable()
        try:
            r = client.get(lab.url("/bytes/1000"))
            ref = weakref.ref(r)
            del r
            assert ref() is None
        finally:
            gc.enable()
