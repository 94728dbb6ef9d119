"""Awaiting the Rust core's operations from asyncio.

An operation (`_core.Op`) is awaitable itself: ``await op`` takes the result
at once when the operation already finished (no event-loop round trip at
all). Otherwise the task waits on an asyncio future that the loop's
`Notifier` sets. The operations awaited during one loop iteration start
together when it ends (one wake-up of the runtime's thread for all of them).
When one finishes, the runtime thread queues its future and writes one byte
to a socket the loop watches, only when the queue was empty, and the loop
drains the whole queue in one callback. The runtime's threads never take
the GIL, and many completions cost one wake-up. Cancelling the awaiting task
cancels the operation (a request in flight is abandoned).

Only asyncio is supported. Under trio (or any other loop) there is no
asyncio loop to watch the socket: awaiting raises `RuntimeError` saying so;
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


def _notifier(loop: asyncio.AbstractEventLoop) -> "_core.Notifier":
    """The notifier of `loop`, made and registered on first use (the core
    calls this when a thread awaits on a loop it did not see last, and
    keeps that one)."""
    notifier = _notifiers.get(loop)
    if notifier is None:
        notifier = _core.Notifier()
        loop.add_reader(notifier.fileno(), notifier.drain)
        _notifiers[loop] = notifier
    return notifier


async def wait(op: "_core.Op") -> typing.Any:
    """``await op``, as a coroutine (for code that wants one)."""
    return await op


async def wait_threadsafe(op: "_core.Op") -> typing.Any:
    """The obvious bridge, for the benchmark only: the runtime thread calls
    ``loop.call_soon_threadsafe(future.set_result, None)``, taking the GIL."""
    if not op.done():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if op.wait_threadsafe(loop, future):
            await future
    return op.result()
