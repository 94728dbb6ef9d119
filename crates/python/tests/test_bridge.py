"""The asyncio bridge on its own: `await op`, a loop iteration's ops started
together, cancellation, and the obvious bridge kept for the benchmark."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import baton_http
from baton_http import _core
from baton_http._bridge import wait, wait_threadsafe


def test_ops_are_awaitable_complete_or_pending() -> None:
    async def main() -> None:
        assert await _core.ready_op(1) == 1
        assert await _core.echo_op("x") == "x"
        assert await wait(_core.echo_op("z")) == "z"
        assert await wait_threadsafe(_core.echo_op("y")) == "y"
        # Awaited in one iteration: one batch, each gets its own value.
        values = await asyncio.gather(*[_core.echo_op(i) for i in range(1000)])
        assert values == list(range(1000))

    asyncio.run(main())


def test_an_op_is_not_started_until_awaited_and_not_at_all_when_cancelled_first() -> None:
    async def main() -> None:
        op = _core.echo_op("never")
        await asyncio.sleep(0.01)
        assert not op.done()  # nobody waited: the work has not run
        op.cancel()
        assert op.done()
        with pytest.raises(RuntimeError, match="cancelled"):
            await op

    asyncio.run(main())


def test_cancelling_the_awaiting_task_abandons_the_request(start_lab) -> None:
    # One connection with one stream slot: a request left running would
    # hold the slot for 5 s, and the next one could not go before then.
    lab = start_lab("normal", max_streams=1)

    async def main() -> None:
        transport = baton_http.AsyncHTTPTransport(http1=False, http2=True, max_connections_per_origin=1)
        async with httpx.AsyncClient(transport=transport) as client:
            assert (await client.get(lab.url("/bytes/1"))).status_code == 200
            slow = asyncio.ensure_future(client.get(lab.url("/delay/5000")))
            await asyncio.sleep(0.2)  # sent, waiting for the head
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            # The stream was reset (RST_STREAM), which frees its slot.
            r = await asyncio.wait_for(client.get(lab.url("/bytes/100")), 2)
            assert r.status_code == 200 and len(r.content) == 100
        assert transport._core.stats()["connections_opened"] == 1

    asyncio.run(main())


def test_awaiting_without_a_running_loop_says_asyncio() -> None:
    op = _core.echo_op(1)
    it = op.__await__()
    with pytest.raises(RuntimeError, match="asyncio"):
        next(it)
