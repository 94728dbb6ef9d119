"""Awaiting the Rust core's operations from asyncio.

`wait(op)` takes the result at once when the operation already finished
(no event-loop round trip at all). Otherwise it parks the task on an asyncio
future that the loop's `Notifier` sets: the runtime thread queues the future
and writes one byte to a socket the loop watches, only when the queue was
empty, and the loop drains the whole queue in one callback. The runtime's
threads never take the GIL, and many completions cost one wake-up.

Only asyncio is supported. Under trio (or any other loop) there is no
asyncio loop to watch the socket: `wait` raises `RuntimeError` saying so;
use the sync transport from a worker thread there
(``trio.to_thread.run_sync``).
"""

from __future__ import annotations

import asyncio
import typing
import weakref

from . import _core

__all__ = ["wait", "wait_threadsafe"]

_notifiers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _core.Notifier]" = weakref.WeakKeyDictionary()
_last: typing.Optional[tuple] = None


def _running_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "baton_http's async API runs on asyncio, and no asyncio loop is running "
            "(under trio, use the sync transport or pool from a worker thread: "
            "trio.to_thread.run_sync)"
        ) from None


def _notifier(loop: asyncio.AbstractEventLoop) -> "_core.Notifier":
    global _last
    last = _last
    if last is not None and last[0] is loop:
        return last[1]
    notifier = _notifiers.get(loop)
    if notifier is None:
        notifier = _core.Notifier()
        loop.add_reader(notifier.fileno(), notifier.drain)
        _notifiers[loop] = notifier
    _last = (loop, notifier)
    return notifier


async def wait(op: "_core.Op") -> typing.Any:
    """The result of `op`, awaited on the running asyncio loop. Cancelling
    the awaiting task cancels the op (a request in flight is abandoned)."""
    if not op.done():
        loop = _running_loop()
        future = loop.create_future()
        if op.wait_loop(future, _notifier(loop)):
            try:
                await future
            except asyncio.CancelledError:
                op.cancel()
                raise
    return op.result()


async def wait_threadsafe(op: "_core.Op") -> typing.Any:
    """The obvious bridge, for the benchmark only: the runtime thread calls
    ``loop.call_soon_threadsafe(future.set_result, None)``, taking the GIL."""
    if not op.done():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if op.wait_threadsafe(loop, future):
            await future
    return op.result()
