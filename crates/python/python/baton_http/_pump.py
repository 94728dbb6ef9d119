"""Feeding streamed request bodies (sync and async iterators) into the core.

The chunks go through a `BodySender` to the request, which keeps what it
sent in baton's replay buffer (256 KiB by default), so a GOAWAY'd streamed
upload is sent again whole. When the iterator raises, the request fails as a
body error and the iterator's own exception reaches the caller.
"""

from __future__ import annotations

import asyncio
import typing

from . import _core
from ._errors import CoreError

__all__ = ["pump_async", "start_async", "send_sync"]


def send_sync(core: "_core.Client", head: tuple, stream: typing.Iterable[bytes], rest: tuple) -> typing.Any:
    """Sends a request whose body is `stream`, from the calling thread.
    `head` and `rest` are `Client.start`'s arguments before and after the
    body; returns what its operation gives (the response tuple, or what
    `finish` makes of it)."""
    sender = _core.BodySender()
    op = core.start(*head, sender, *rest)
    op.start()  # it reads the body this thread feeds below
    failure: typing.Optional[BaseException] = None
    try:
        for chunk in stream:
            if chunk and not sender.send_blocking(chunk):
                break
    except BaseException as e:
        failure = e
        sender.fail(f"request body iterator raised {type(e).__name__}: {e}")
    else:
        sender.close()
    try:
        return op.wait()
    except CoreError as e:
        if failure is not None and e.kind == "body":
            raise failure from None
        raise


async def pump_async(stream: typing.AsyncIterable[bytes], sender: "_core.BodySender") -> typing.Optional[BaseException]:
    """Feeds `stream` into `sender`; returns what the iterator raised."""
    try:
        async for chunk in stream:
            if not chunk:
                continue
            state = sender.try_send(chunk)
            if state == 1:
                if not await sender.send(chunk):
                    return None
            elif state == 2:
                return None
    except Exception as e:
        sender.fail(f"request body iterator raised {type(e).__name__}: {e}")
        return e
    sender.close()
    return None


async def start_async(
    core: "_core.Client", head: tuple, stream: typing.AsyncIterable[bytes], rest: tuple
) -> typing.Tuple[typing.Any, "asyncio.Future"]:
    """Sends a request whose body is `stream` on the running loop (`head`
    and `rest` as for `send_sync`); returns what the operation gives and
    the pump (still running if the server answered before the body
    ended)."""
    sender = _core.BodySender()
    op = core.start(*head, sender, *rest)
    pump = asyncio.ensure_future(pump_async(stream, sender))
    try:
        return await op, pump
    except CoreError as e:
        if e.kind == "body":
            failure = await pump
            if failure is not None:
                raise failure from None
        raise
