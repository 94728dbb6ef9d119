"""Streamed bodies both ways, early close, threads, and the pool API."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import httpcore
import httpx
import pytest

import baton_http


def test_early_close_of_a_streamed_response_resets_and_the_connection_goes_on(lab) -> None:
    transport = baton_http.HTTPTransport(http1=False, http2=True)
    with httpx.Client(transport=transport) as client:
        with client.stream("GET", lab.url("/bytes/10000000")) as r:
            first = next(r.iter_raw())
            assert first
        # Closed after one piece of 10 MB; the connection carries on.
        for _ in range(20):
            assert len(client.get(lab.url("/bytes/100")).content) == 100
    assert transport._core.stats()["connections_opened"] == 1


def test_async_early_close(lab) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http1=False, http2=True)) as client:
            async with client.stream("GET", lab.url("/bytes/10000000")) as r:
                async for chunk in r.aiter_raw():
                    assert chunk
                    break
            assert len((await client.get(lab.url("/bytes/100"))).content) == 100

    asyncio.run(main())


def test_large_streamed_upload_sync_and_async(lab) -> None:
    size = 16 << 20

    def body():
        chunk = b"x" * (1 << 20)
        for _ in range(size >> 20):
            yield chunk

    async def abody():
        for c in body():
            yield c

    # The response of a streamed upload is built as any other's (one
    # builder, `httpx.rs`): the same extensions, a body still arriving read
    # through the transport's stream, a small complete one at once.
    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True)) as client:
        r = client.post(lab.url("/echo"), content=body())
        assert r.headers["x-received-bytes"] == str(size) and len(r.content) == size
        assert r.extensions["http_version"] == b"HTTP/2" and len(r.extensions["baton_attempts"]) == 1
        assert "reason_phrase" not in r.extensions
        small = client.post(lab.url("/echo"), content=iter([b"ab", b"c"]))
        assert small.content == b"abc" and small.extensions["http_version"] == b"HTTP/2"

    async def main() -> None:
        async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport()) as client:
            r = await client.post(lab.url("/echo"), content=abody())
            assert r.headers["x-received-bytes"] == str(size)
            assert len(await r.aread()) == size
            assert r.extensions["http_version"] == b"HTTP/1.1" and r.extensions["reason_phrase"] == b"OK"

    asyncio.run(main())


def test_an_upload_iterator_that_raises_reaches_the_caller(lab) -> None:
    def body():
        yield b"abc"
        raise ValueError("disk gone")

    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True)) as client:
        with pytest.raises(ValueError, match="disk gone"):
            client.post(lab.url("/echo"), content=body())


def test_streamed_upload_is_retried_after_goaway(start_lab) -> None:
    # A streamed (replayable within the buffer) POST above last_stream_id
    # is sent again whole: every request succeeds, none twice.
    lab = start_lab("nginx-rotate", "requests=10")

    def body():
        for _ in range(4):
            yield b"s" * 1000

    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True)) as client:
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            rs = list(pool.map(lambda i: client.post(lab.url("/echo"), content=body(), headers={"x-request-id": f"u{i}"}), range(100)))
    assert all(r.headers["x-received-bytes"] == "4000" for r in rs)
    assert any(len(r.extensions["baton_attempts"]) > 1 for r in rs), "some were retried"
    assert lab.duplicates() == {}


def test_large_response_streams_in_chunks(lab) -> None:
    size = 64 << 20
    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True)) as client:
        with client.stream("GET", lab.url(f"/bytes/{size}")) as r:
            seen = biggest = 0
            for chunk in r.iter_raw():
                seen += len(chunk)
                biggest = max(biggest, len(chunk))
    assert seen == size
    assert biggest <= 1 << 20, "never the whole body at once"


def test_many_threads_share_one_sync_transport_while_another_runs(lab) -> None:
    # The GIL is released while requests wait: a pure-Python counter thread
    # keeps counting throughout.
    stop = threading.Event()
    ticks = [0]

    def spin() -> None:
        while not stop.is_set():
            ticks[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True)) as client:
            def work(i: int) -> int:
                return len(client.get(lab.url("/delay/20")).content)

            before = ticks[0]
            with concurrent.futures.ThreadPoolExecutor(32) as pool:
                sizes = list(pool.map(work, range(320)))
            during = ticks[0] - before
    finally:
        stop.set()
        spinner.join()
    assert sizes == [2] * 320
    assert during > 0


def test_pool_api_sync_and_async(lab) -> None:
    with baton_http.ConnectionPool(http1=False, http2=True) as pool:
        r = pool.request("GET", lab.url("/bytes/100"))
        assert isinstance(r, httpcore.Response) and r.status == 200 and len(r.content) == 100
        assert r.extensions["http_version"] == b"HTTP/2"
        with pool.stream("POST", lab.url("/echo"), content=b"abc") as s:
            assert b"".join(s.iter_stream()) == b"abc"
        r = pool.handle_request(httpcore.Request("GET", lab.url("/bytes/5")))
        assert r.read() == b"xxxxx" or len(r.read()) == 5

    async def main() -> None:
        async with baton_http.AsyncConnectionPool(http1=False, http2=True) as pool:
            rs = await asyncio.gather(*[pool.request("GET", lab.url("/bytes/1000")) for _ in range(64)])
            assert all(len(r.content) == 1000 for r in rs)
            async with pool.stream("GET", lab.url("/bytes/300000")) as s:
                n = 0
                async for c in s.aiter_stream():
                    n += len(c)
                assert n == 300000

    asyncio.run(main())


def test_pool_api_raises_httpcore_classes() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with baton_http.ConnectionPool() as pool:
        with pytest.raises(httpcore.ConnectError):
            pool.request("GET", f"http://127.0.0.1:{port}/")


def test_goaway_failure_chains_connection_going_away(start_lab) -> None:
    # S5 with POSTs only: those at or below last_stream_id fail; what is
    # raised is RemoteProtocolError, chained to the PR #1054 account.
    lab = start_lab("goaway-then-rst", "after=10")
    seen = []

    async def main() -> None:
        async with httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http1=False, http2=True)) as client:
            async def one(i: int) -> None:
                try:
                    await client.post(lab.url("/delay/20"), content=b"p", headers={"x-request-id": f"g{i}"})
                except httpx.RemoteProtocolError as e:
                    seen.append(e)

            await asyncio.gather(*[one(i) for i in range(40)])

    asyncio.run(main())
    assert seen, "some POSTs below last_stream_id failed"
    going_away = [e.__cause__ for e in seen if isinstance(e.__cause__, baton_http.ConnectionGoingAway)]
    for g in going_away:
        assert isinstance(g, httpcore.ConnectionNotAvailable)
        assert g.headers_sent and g.may_have_side_effects and not g.is_safe_to_retry
        assert g.is_graceful_shutdown == (g.error_code == 0)
        assert g.request_stream_id <= g.last_stream_id
    for e in seen:
        assert e.__cause__.may_have_side_effects
    assert lab.duplicates() == {}
