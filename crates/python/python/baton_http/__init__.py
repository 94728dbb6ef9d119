"""baton for Python: httpx transports and an httpcore-shaped pool on baton.

A server rotating or closing a connection (HTTP/2 GOAWAY, REFUSED_STREAM,
resets, keep-alive closes) never costs the caller a request that was safe to
send again, and when a retry would not be safe, the error says exactly how
far the request got.

For httpx users, one line changes::

    client = httpx.AsyncClient(transport=baton_http.AsyncHTTPTransport(http2=True))

For httpcore users, `ConnectionPool` and `AsyncConnectionPool` take the place
of httpcore's. Failures are httpx's or httpcore's own classes, chained
(``__cause__``) to a `ConnectionGoingAway` (httpcore pull request #1054's
names) or a `RequestVerdict`.
"""

from __future__ import annotations

import typing

import collections.abc

from ._core import Attempt, Attempts
from ._errors import ConnectionGoingAway, RequestVerdict
from ._pool import AsyncConnectionPool, ConnectionPool

__all__ = [
    "AsyncConnectionPool",
    "AsyncHTTPTransport",
    "Attempt",
    "Attempts",
    "ConnectionGoingAway",
    "ConnectionPool",
    "HTTPTransport",
    "RequestVerdict",
]

__version__ = "0.1.0"

collections.abc.Sequence.register(Attempts)


def __getattr__(name: str) -> typing.Any:
    # The transports need httpx; the pool does not.
    if name in ("HTTPTransport", "AsyncHTTPTransport"):
        from . import _transports

        return getattr(_transports, name)
    raise AttributeError(f"module 'baton_http' has no attribute {name!r}")
