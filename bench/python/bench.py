"""Python HTTP clients against one nginx, same run: req/s and CPU µs per
request (this process's user + system time, every thread included) at 64
concurrent requests over h2c, and the asyncio bridge's cost on its own.

Each (client, case) runs in its own process, so one client's threads and
caches never meet another's. `run` starts nginx and calls this script.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import subprocess
import sys
import time
import typing

CONCURRENCY = 64


def _httpx_default():
    import httpx

    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(http1=False, http2=True), timeout=30.0)


def _httpx_baton():
    import httpx

    import baton_http

    return httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http1=False, http2=True), timeout=30.0)


def _httpx_noop(size: int):
    import httpx

    body = b"x" * size

    class Noop(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=body, extensions={"http_version": b"HTTP/2"})

    return httpx.AsyncClient(transport=Noop())


async def _run_async(send: typing.Callable[[], typing.Awaitable[int]], n: int, size: int) -> int:
    failed = 0
    limit = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        nonlocal failed
        try:
            got = await send()
            if got != size:
                failed += 1
        except Exception:
            failed += 1
        finally:
            limit.release()

    tasks = []
    for _ in range(n):
        await limit.acquire()
        tasks.append(asyncio.ensure_future(one()))
    await asyncio.gather(*tasks)
    return failed


async def client_async(name: str, url: str, n: int, size: int) -> int:
    if name in ("httpx", "httpx+baton", "httpx-noop"):
        client = {"httpx": _httpx_default, "httpx+baton": _httpx_baton}.get(name, lambda: _httpx_noop(size))()
        async with client:

            async def send() -> int:
                return len((await client.get(url)).content)

            await send()  # connect first: not counted
            return await _run_async(send, n, size)
    if name == "baton-pool":
        import baton_http

        async with baton_http.AsyncConnectionPool(http1=False, http2=True) as pool:

            async def send() -> int:
                return len((await pool.request("GET", url)).content)

            await send()
            return await _run_async(send, n, size)
    if name == "wreq":
        import wreq

        client = wreq.Client(http2_only=True)

        async def send() -> int:
            resp = await client.get(url)
            return len(await resp.bytes())

        await send()
        return await _run_async(send, n, size)
    if name == "pyreqwest":
        from pyreqwest.client import ClientBuilder

        async with ClientBuilder().http2_prior_knowledge().build() as client:

            async def send() -> int:
                resp = await client.get(url).build().send()
                return len(await resp.bytes())

            await send()
            return await _run_async(send, n, size)
    raise SystemExit(f"unknown client {name}")


def client_sync(url: str, n: int, size: int) -> int:
    import httpx

    import baton_http

    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True), timeout=30.0) as client:
        client.get(url)

        def one(_: int) -> int:
            try:
                return int(len(client.get(url).content) != size)
            except Exception:
                return 1

        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            return sum(pool.map(one, range(n)))


def measure(name: str, url: str, n: int, size: int) -> dict:
    cpu0, t0 = time.process_time(), time.perf_counter()
    if name == "httpx+baton-sync":
        failed = client_sync(url, n, size)
    else:
        failed = asyncio.run(client_async(name, url, n, size))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    return {"client": name, "requests": n, "failed": failed, "req_s": n / wall, "cpu_us": cpu / n * 1e6}


def bridge(n: int) -> dict:
    """µs per await of an op that completes on the runtime at once."""
    from baton_http import _core
    from baton_http._bridge import wait, wait_threadsafe

    out = {}

    async def sequential(waiter, make) -> float:
        for _ in range(200):
            await waiter(make(0))
        t0 = time.perf_counter()
        for i in range(n):
            await waiter(make(i))
        return (time.perf_counter() - t0) / n * 1e6

    async def concurrent_(waiter, make) -> float:
        t0 = time.perf_counter()
        for _ in range(n // CONCURRENCY):
            await asyncio.gather(*[waiter(make(i)) for i in range(CONCURRENCY)])
        return (time.perf_counter() - t0) / (n // CONCURRENCY * CONCURRENCY) * 1e6

    async def main() -> None:
        out["ready_us"] = await sequential(wait, _core.ready_op)
        out["notifier_us"] = await sequential(wait, _core.echo_op)
        out["notifier_64_us"] = await concurrent_(wait, _core.echo_op)
        out["threadsafe_us"] = await sequential(wait_threadsafe, _core.echo_op)
        out["threadsafe_64_us"] = await concurrent_(wait_threadsafe, _core.echo_op)

    asyncio.run(main())
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--one", nargs=4, metavar=("CLIENT", "URL", "N", "SIZE"))
    p.add_argument("--bridge", type=int)
    args = p.parse_args()
    if args.one:
        name, url, n, size = args.one
        print(json.dumps(measure(name, url, int(n), int(size))))
    elif args.bridge:
        print(json.dumps(bridge(args.bridge)))


if __name__ == "__main__":
    main()
