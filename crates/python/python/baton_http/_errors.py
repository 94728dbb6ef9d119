"""baton's errors in httpcore's and httpx's classes.

The Rust core raises one class, `CoreError`, with everything baton knows about
the failure. `to_httpcore` turns it into the httpcore exception that httpcore's
own pool raises for the same cause, and the httpx transports turn that into
httpx's class as httpx's default transport does (`map_httpcore_exceptions`).
When a request failed on a connection that was going away, or with a verdict,
the exception raised is chained (``__cause__``) to a `ConnectionGoingAway`
(the names of httpcore pull request #1054) or to a `RequestVerdict`, both of
which carry the verdict and the attempt journal.
"""

from __future__ import annotations

import typing

import httpcore

__all__ = ["ConnectionGoingAway", "CoreError", "RequestVerdict", "to_httpcore"]

#: The verdicts, from "the server never saw it" to "a response had started".
NOT_SENT = "NotSent"
NOT_PROCESSED = "NotProcessed"
MAYBE_PROCESSED = "MaybeProcessed"
RESPONSE_STARTED = "ResponseStarted"


class CoreError(Exception):
    """What the Rust core raises; the public classes are made from it."""

    def __init__(
        self,
        message: str,
        kind: str,
        timeout: typing.Optional[str],
        processing: typing.Optional[str],
        going_away: typing.Optional[dict],
        attempts: typing.Sequence[typing.Any],
        source: typing.Optional[str],
        violation: typing.Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.timeout = timeout
        self.processing = processing
        self.going_away = going_away
        self.attempts = attempts
        self.source = source
        #: The HTTP/2 rule the server broke, when that ended the request.
        self.violation = violation


class RequestVerdict(Exception):
    """How far a failed request got, and every attempt it made.

    ``processing`` is one of ``"NotSent"`` (nothing left this process),
    ``"NotProcessed"`` (the server guarantees it did not act on it),
    ``"MaybeProcessed"`` (sent, no answer: nobody knows) and
    ``"ResponseStarted"`` (a response had begun, then broke); None when no
    verdict applies (a connect failure, invalid input).
    """

    def __init__(self, message: str, processing: typing.Optional[str], attempts: typing.Sequence[typing.Any]) -> None:
        super().__init__(message)
        self.processing = processing
        self.attempts = attempts

    @property
    def is_safe_to_retry(self) -> bool:
        """True when sending the request again cannot duplicate anything."""
        return self.processing in (NOT_SENT, NOT_PROCESSED)

    @property
    def may_have_side_effects(self) -> bool:
        """True when the server may have acted on the request."""
        return self.processing in (MAYBE_PROCESSED, RESPONSE_STARTED)


class ConnectionGoingAway(httpcore.ConnectionNotAvailable):
    """The request failed on a connection the server had sent GOAWAY on.

    The attributes and properties are those of httpcore pull request #1054:
    ``last_stream_id`` (0 is a real value: nothing processed),
    ``request_stream_id``, ``error_code``, ``headers_sent``, ``body_sent``
    (bytes of the body written), ``is_safe_to_retry``,
    ``is_graceful_shutdown`` and ``may_have_side_effects``. baton adds
    ``debug_data``, ``processing`` (its verdict) and ``attempts`` (the
    journal).
    """

    def __init__(
        self,
        message: str,
        *,
        last_stream_id: int,
        request_stream_id: typing.Optional[int],
        error_code: int,
        headers_sent: bool,
        body_sent: int,
        debug_data: bytes = b"",
        processing: typing.Optional[str] = None,
        attempts: typing.Sequence[typing.Any] = (),
        safe_to_retry: typing.Optional[bool] = None,
    ) -> None:
        super().__init__(message)
        self.last_stream_id = last_stream_id
        self.request_stream_id = request_stream_id
        self.error_code = error_code
        self.headers_sent = headers_sent
        self.body_sent = body_sent
        self.debug_data = debug_data
        self.processing = processing
        self.attempts = attempts
        if safe_to_retry is None:
            safe_to_retry = request_stream_id is not None and request_stream_id > last_stream_id
        self._safe_to_retry = safe_to_retry

    @property
    def is_safe_to_retry(self) -> bool:
        """True when the server proved it did not process the request (our
        stream was above ``last_stream_id``), or the request never left."""
        return self._safe_to_retry

    @property
    def is_graceful_shutdown(self) -> bool:
        """True for NO_ERROR: the server was rotating or shutting down."""
        return self.error_code == 0

    @property
    def may_have_side_effects(self) -> bool:
        """True when the server may have acted on the request."""
        return not self._safe_to_retry


def cause_of(err: CoreError) -> typing.Optional[BaseException]:
    """The `ConnectionGoingAway` or `RequestVerdict` a failure is chained to."""
    g = err.going_away
    if g is not None:
        return ConnectionGoingAway(
            err.message,
            last_stream_id=g["last_stream_id"],
            request_stream_id=g["request_stream_id"],
            error_code=g["error_code"],
            headers_sent=g["headers_sent"],
            body_sent=g["body_sent"],
            debug_data=g["debug_data"],
            processing=err.processing,
            attempts=err.attempts,
            safe_to_retry=g["is_safe_to_retry"],
        )
    if err.processing is not None or err.attempts:
        return RequestVerdict(err.message, err.processing, err.attempts)
    return None


_TIMEOUTS = {
    "connect": httpcore.ConnectTimeout,
    "read": httpcore.ReadTimeout,
    "write": httpcore.WriteTimeout,
    "pool": httpcore.PoolTimeout,
    # The total deadline is not one of httpx's four; a read is what it cut.
    "total": httpcore.ReadTimeout,
}


def httpcore_class(err: CoreError) -> type:
    """The httpcore class httpcore raises for the same cause."""
    kind = err.kind
    if kind == "timeout":
        return _TIMEOUTS.get(err.timeout or "read", httpcore.ReadTimeout)
    if kind == "connect":
        if err.violation is not None or "HTTP/2 preface" in err.message:
            # The server answered, but broke HTTP/2 (or closed instead of
            # its preface): httpcore's h2 raises a protocol error there.
            return httpcore.RemoteProtocolError
        if "after the handshake" in err.message:
            # TLS 1.3: the server rejects a client certificate with an
            # alert after the handshake, which httpcore meets on its first
            # read (RFC 8446 §4.4.2.4): ReadError there.
            return httpcore.ReadError
        return httpcore.ConnectError
    if kind == "builder":
        if "scheme" in err.message:
            return httpcore.UnsupportedProtocol
        return httpcore.LocalProtocolError
    if kind == "decode":
        # The response broke after its head: httpcore says the peer closed
        # (h11: "peer closed connection without sending complete message
        # body"; h2: the stream or connection ended).
        return httpcore.RemoteProtocolError
    if kind == "retries_exhausted" and err.processing is None:
        return httpcore.ConnectError
    # A request that failed on the connection: GOAWAY, reset, close,
    # protocol error, or retries used up. httpcore raises RemoteProtocolError
    # for each ("Server disconnected", ConnectionTerminated, StreamReset).
    return httpcore.RemoteProtocolError


def to_httpcore(err: CoreError) -> BaseException:
    """The httpcore exception for `err`, its cause attached."""
    exc = httpcore_class(err)(err.message)
    exc.__cause__ = cause_of(err)
    exc.attempts = err.attempts  # type: ignore[attr-defined]
    exc.processing = err.processing  # type: ignore[attr-defined]
    return exc
