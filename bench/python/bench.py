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
import resource
import time
import typing

CONCURRENCY = 64


def _cpu() -> float:
    """This process's user + system CPU seconds, every thread included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class _Clock:
    """Starts after the imports and the first (connecting) request, so a
    client's one-time costs (httpcore's import alone is ~0.2 s of CPU) are
    not spread over the requests."""

    cpu = wall = 0.0

    @classmethod
    def start(cls) -> None:
        cls.cpu, cls.wall = _cpu(), time.perf_counter()

    @classmethod
    def stop(cls) -> None:
        cls.cpu, cls.wall = _cpu() - cls.cpu, time.perf_counter() - cls.wall


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


# What nginx answers for /bytes/N (its date and validators, fixed here).
def _nginx_headers(size: int) -> list:
    return [
        (b"server", b"nginx/1.22.1"),
        (b"date", b"Mon, 07 Dec 2026 01:39:39 GMT"),
        (b"content-type", b"text/plain"),
        (b"content-length", str(size).encode()),
        (b"last-modified", b"Mon, 07 Dec 2026 01:39:39 GMT"),
        (b"etag", b'"6b160e5b-64"'),
        (b"accept-ranges", b"bytes"),
    ]


def _httpx_noop_headers(size: int):
    """The no-op transport answering with nginx's seven headers (the body
    in memory, as `_httpx_noop`): httpx's own cost for the response a
    real server gives, headers included."""
    import httpx

    body = b"x" * size
    headers = _nginx_headers(size)
    extensions = {"http_version": b"HTTP/2"}

    class Noop(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, headers=headers, content=body, extensions=extensions)

    return httpx.AsyncClient(transport=Noop())


def _httpx_noop_streamed(size: int):
    """The no-op transport answering as httpx's own transport does over
    HTTP/2: nginx's seven headers, the body as a stream that httpx reads
    (which also gives the response its `elapsed`), no reason phrase."""
    import httpx

    body = b"x" * size
    headers = _nginx_headers(size)
    extensions = {"http_version": b"HTTP/2"}

    class Noop(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body), extensions=extensions)

    return httpx.AsyncClient(transport=Noop())


async def _run_async(send: typing.Callable[[], typing.Awaitable[int]], n: int, size: int) -> int:
    await send()  # connect first: not counted
    _Clock.start()
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
    _Clock.stop()
    return failed


async def client_async(name: str, url: str, n: int, size: int) -> int:
    if name in ("httpx", "httpx+baton", "httpx-noop", "httpx-noop-headers", "httpx-noop-streamed"):
        client = {
            "httpx": _httpx_default,
            "httpx+baton": _httpx_baton,
            "httpx-noop": lambda: _httpx_noop(size),
            "httpx-noop-headers": lambda: _httpx_noop_headers(size),
            "httpx-noop-streamed": lambda: _httpx_noop_streamed(size),
        }[name]()
        async with client:

            async def send() -> int:
                return len((await client.get(url)).content)

            return await _run_async(send, n, size)
    if name == "baton-pool":
        import baton_http

        async with baton_http.AsyncConnectionPool(http1=False, http2=True) as pool:

            async def send() -> int:
                return len((await pool.request("GET", url)).content)

            return await _run_async(send, n, size)
    if name == "wreq":
        import wreq

        client = wreq.Client(http2_only=True)

        async def send() -> int:
            resp = await client.get(url)
            return len(await resp.bytes())

        return await _run_async(send, n, size)
    if name == "pyreqwest":
        from pyreqwest.client import ClientBuilder

        async with ClientBuilder().http2_prior_knowledge().build() as client:

            async def send() -> int:
                resp = await client.get(url).build().send()
                return len(await resp.bytes())

            return await _run_async(send, n, size)
    raise SystemExit(f"unknown client {name}")


def client_sync(url: str, n: int, size: int) -> int:
    import httpx

    import baton_http

    with httpx.Client(transport=baton_http.HTTPTransport(http1=False, http2=True), timeout=30.0) as client:
        client.get(url)
        _Clock.start()

        def one(_: int) -> int:
            try:
                return int(len(client.get(url).content) != size)
            except Exception:
                return 1

        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            failed = sum(pool.map(one, range(n)))
        _Clock.stop()
        return failed


def measure(name: str, url: str, n: int, size: int) -> dict:
    if name == "httpx+baton-sync":
        failed = client_sync(url, n, size)
    else:
        failed = asyncio.run(client_async(name, url, n, size))
    cpu, wall = _Clock.cpu, _Clock.wall
    return {"client": name, "requests": n, "failed": failed, "req_s": n / wall, "cpu_us": cpu / n * 1e6}


def bridge(n: int) -> dict:
    """Per await of an op that completes on the runtime at once: wall µs
    and CPU µs (every thread of the process, the runtime's included)."""
    from baton_http import _core
    from baton_http._bridge import wait_threadsafe

    out = {}

    def direct(op: typing.Any) -> typing.Any:
        return op

    async def sequential(waiter, make) -> typing.Tuple[float, float]:
        for _ in range(200):
            await waiter(make(0))
        cpu0, t0 = _cpu(), time.perf_counter()
        for i in range(n):
            await waiter(make(i))
        return (time.perf_counter() - t0) / n * 1e6, (_cpu() - cpu0) / n * 1e6

    async def concurrent_(waiter, make) -> typing.Tuple[float, float]:
        rounds = n // CONCURRENCY
        cpu0, t0 = _cpu(), time.perf_counter()
        for _ in range(rounds):
            await asyncio.gather(*[waiter(make(i)) for i in range(CONCURRENCY)])
        done = rounds * CONCURRENCY
        return (time.perf_counter() - t0) / done * 1e6, (_cpu() - cpu0) / done * 1e6

    async def main() -> None:
        # baton's bridge: `await op`; the obvious one needs a coroutine.
        out["ready"] = await sequential(direct, _core.ready_op)
        out["notifier"] = await sequential(direct, _core.echo_op)
        out["notifier_64"] = await concurrent_(direct, _core.echo_op)
        out["threadsafe"] = await sequential(wait_threadsafe, _core.echo_op)
        out["threadsafe_64"] = await concurrent_(wait_threadsafe, _core.echo_op)

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
        print(json.dumps(bridge(args.bridge)), flush=True)
        # The obvious bridge's last `call_soon_threadsafe` may still be
        # inside its socket write on the runtime's thread, GIL released:
        # were the interpreter to finalize now, that thread would be made
        # to exit there (CPython's `take_gil` during finalization), which
        # aborts the process through Rust frames. Nothing is left to clean.
        os._exit(0)


if __name__ == "__main__":
    main()
