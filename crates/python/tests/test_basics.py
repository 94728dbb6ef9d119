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
