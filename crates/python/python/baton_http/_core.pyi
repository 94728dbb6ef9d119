"""Type stubs for the Rust extension `baton_http._core`."""

from typing import Any, Generator, Iterator, Optional, Sequence, Tuple, overload

Timeouts = Tuple[Optional[float], Optional[float], Optional[float], Optional[float]]
Headers = Sequence[Tuple[bytes, bytes]]
# (status, headers, http_version, reason_phrase (None over HTTP/2), body_prefix, reader, attempts,
#  identity (no Content-Encoding))
Parts = Tuple[int, list, bytes, Optional[bytes], bytes, Optional["BodyReader"], "Attempts", bool]

class Attempt:
    connection_id: int
    reused: bool
    http_version: str
    stream_id: Optional[int]
    phase: str
    body_sent: int
    go_away: Optional[Tuple[int, int, bytes]]
    error: Optional[str]
    processing: Optional[str]
    retried: Optional[str]
    backoff: float

class Attempts(Sequence[Attempt]):
    """A request's attempts, the successful one last."""
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, index: int) -> Attempt: ...
    @overload
    def __getitem__(self, index: slice) -> Tuple[Attempt, ...]: ...
    def __iter__(self) -> Iterator[Attempt]: ...

class Op:
    """Awaitable: ``await op`` gives the result (or raises)."""
    def __await__(self) -> Generator[Any, None, Any]: ...
    def done(self) -> bool: ...
    def start(self) -> None: ...
    def park(self, future: Any, notifier: Notifier) -> int: ...
    def wait_threadsafe(self, event_loop: Any, future: Any) -> bool: ...
    def result(self) -> Any: ...
    def wait(self) -> Any: ...
    def cancel(self) -> None: ...

class Notifier:
    def __init__(self) -> None: ...
    def fileno(self) -> int: ...
    def flush(self) -> None: ...
    def drain(self) -> None: ...

class BodySender:
    def __init__(self) -> None: ...
    def try_send(self, chunk: bytes) -> int: ...
    def send(self, chunk: bytes) -> Op: ...
    def send_blocking(self, chunk: bytes) -> bool: ...
    def close(self) -> None: ...
    def fail(self, message: str) -> None: ...

class BodyReader:
    def next(self) -> Op: ...
    def next_blocking(self) -> Optional[bytes]: ...
    def close(self) -> None: ...

class HttpxResponses:
    """How a transport's requests build their `httpx.Response` (`finish=`)."""
    def __init__(self, response: Any, headers: Any, complete: Any, streamed: Any) -> None: ...

class Client:
    def __init__(
        self,
        *,
        http1: bool = True,
        http2: bool = False,
        http2_prior_knowledge: bool = False,
        verify: bool = True,
        ca_pem: Optional[bytes] = None,
        native_roots: bool = False,
        cert_pem: Optional[bytes] = None,
        key_pem: Optional[bytes] = None,
        max_connections_per_origin: int = 8,
        max_http1_connections_per_origin: Optional[int] = None,
        max_attempts: int = 4,
        replay_buffer: Optional[int] = None,
        connect_timeout: Optional[float] = None,
        pool_idle_timeout: Optional[float] = None,
    ) -> None: ...
    def start(
        self,
        method: str,
        url: str,
        headers: Headers,
        body: Any,
        timeouts: Timeouts,
        eager: bool,
        finish: Any = None,
        fail: Any = None,
        context: Any = None,
    ) -> Op: ...
    def send(
        self,
        method: str,
        url: str,
        headers: Headers,
        body: Any,
        timeouts: Timeouts,
        eager: bool,
        finish: Any = None,
        fail: Any = None,
        context: Any = None,
    ) -> Any: ...
    def stats(self) -> dict: ...

def echo_op(value: Any) -> Op: ...
def ready_op(value: Any) -> Op: ...
