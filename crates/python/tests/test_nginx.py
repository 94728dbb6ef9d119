"""nginx (started here, private prefix, 127.0.0.1) rotating connections with
`keepalive_requests 100`, and reloading during a run, at 64 concurrent
requests over h2c: baton loses nothing. httpx's default transport runs the
same load in the same test; its failures are printed, not asserted."""

from __future__ import annotations

import asyncio
import collections
import typing

import httpx
import pytest

import baton_http
from nginx import Nginx, binary

pytestmark = pytest.mark.skipif(binary() is None, reason="nginx is not installed (apt-get install nginx)")

REQUESTS = 2000
CONCURRENCY = 64


async def run(transport: httpx.AsyncBaseTransport, url: str, reload: typing.Optional[typing.Callable[[], None]] = None) -> collections.Counter:
    failures: collections.Counter = collections.Counter()
    async with httpx.AsyncClient(transport=transport, timeout=20.0) as client:
        limit = asyncio.Semaphore(CONCURRENCY)
        done = 0

        async def one() -> None:
            nonlocal done
            try:
                r = await client.get(url)
                assert r.status_code == 200 and len(r.content) == 100
            except httpx.HTTPError as e:
                failures[f"{type(e).__name__}: {str(e)[:80]}"] += 1
            finally:
                done += 1
                limit.release()
                if reload is not None and done % 400 == 0:
                    reload()

        tasks = []
        for _ in range(REQUESTS):
            await limit.acquire()
            tasks.append(asyncio.ensure_future(one()))
        await asyncio.gather(*tasks)
    return failures


def report(what: str, baton: collections.Counter, peer: collections.Counter) -> None:
    print(f"\n{what}: {REQUESTS} GETs at {CONCURRENCY} concurrent: baton failed {sum(baton.values())}, httpx's default transport failed {sum(peer.values())}")
    for text, n in peer.most_common(3):
        print(f"    httpx: {n} x {text}")


def test_nginx_keepalive_requests_100() -> None:
    nginx = Nginx(keepalive_requests=100)
    try:
        url = nginx.url("/bytes/100")
        baton = asyncio.run(run(baton_http.AsyncHTTPTransport(http1=False, http2=True), url))
        peer = asyncio.run(run(httpx.AsyncHTTPTransport(http1=False, http2=True), url))
    finally:
        nginx.stop()
    report("nginx keepalive_requests 100", baton, peer)
    assert not baton, baton


def test_nginx_reloads_during_the_run() -> None:
    nginx = Nginx()
    try:
        url = nginx.url("/bytes/100")
        baton = asyncio.run(run(baton_http.AsyncHTTPTransport(http1=False, http2=True), url, nginx.reload))
        peer = asyncio.run(run(httpx.AsyncHTTPTransport(http1=False, http2=True), url, nginx.reload))
    finally:
        nginx.stop()
    report("nginx reloaded every 400 requests", baton, peer)
    assert not baton, baton
