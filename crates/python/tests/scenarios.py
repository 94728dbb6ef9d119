"""DESIGN.md §7's scenarios S1-S18 as the Rust demo runs them
(crates/cli/src/demo/cases.rs): each a lab scenario, a request mix, and the
failures it allows. Shared by the scenario tests."""

from __future__ import annotations

import dataclasses
import typing

# What a failure must look like to count as required by the scenario.
POST_MAYBE_PROCESSED = "post-maybe-processed"
RESPONSE_STARTED = "response-started"
RETRIES_EXHAUSTED = "retries-exhausted"
NOT_REPLAYABLE = "not-replayable"
# Rule 2: an idempotent request whose outcome is unknown is retried once; when
# the scenario cuts that retry too, it fails as maybe processed.
IDEMPOTENT_RETRIED_ONCE = "idempotent-retried-once"

MIXED, BIG_POSTS, ONE_SHOT_POSTS, PACED = "mixed", "big-posts", "one-shot-posts", "paced"

BIG_POST = 64 << 10
ONE_SHOT_CHUNK = 16 << 10
ONE_SHOT_CHUNKS = 20  # 320 KiB: past baton's 256 KiB replay buffer


@dataclasses.dataclass
class Case:
    id: str
    what: str
    scenario: typing.Tuple[str, ...]
    allowed: typing.Tuple[str, ...] = ()
    path: str = "/bytes/100"
    requests: int = 300
    concurrency: int = 32
    shape: str = MIXED
    http1: bool = False
    max_streams: typing.Optional[int] = None
    one_connection: bool = False


CASES = [
    Case("S1", "GOAWAY crosses a new stream on an idle connection", ("alb-idle", "after=1", "idle_ms=15"), shape=PACED, requests=40, concurrency=1),
    Case("S2", "GOAWAY(N), GETs in flight above and below", ("nginx-rotate", "requests=100")),
    Case("S3", "POST with replayable body above last_stream_id", ("nginx-rotate", "requests=50"), shape=BIG_POSTS, path="/echo", requests=200),
    Case("S4", "one-shot body beyond the replay buffer", ("nginx-rotate", "requests=20"), (NOT_REPLAYABLE,), shape=ONE_SHOT_POSTS, path="/echo", requests=60, concurrency=16),
    Case("S5", "GOAWAY(N) then RST", ("goaway-then-rst", "after=60"), (POST_MAYBE_PROCESSED, IDEMPOTENT_RETRIED_ONCE), path="/delay/20", requests=200),
    Case("S6", "response body cut by a close", ("disconnect", "at=mid-response", "after=60"), (RESPONSE_STARTED, POST_MAYBE_PROCESSED), path="/bytes/100000", requests=100),
    Case("S7", "S3 and S5 at once", ("goaway-then-rst", "after=60"), (POST_MAYBE_PROCESSED, RESPONSE_STARTED), shape=BIG_POSTS, path="/echo", requests=200),
    Case("S8", "double GOAWAY (2^31-1 + PING, then N)", ("envoy-drain", "after=50", "ack_timeout_ms=200")),
    Case("S9", "nginx keepalive_requests", ("nginx-rotate", "requests=100"), requests=1000),
    Case("S10", "GOAWAY(0) on a fresh connection (Node)", ("node-close", "connections=1")),
    Case("S11", "GOAWAY(N, ENHANCE_YOUR_CALM)", ("goaway-error", "after=40", "code=ENHANCE_YOUR_CALM")),
    Case("S12", "GOAWAY(0, HTTP_1_1_REQUIRED)", ("http11-required",), requests=60),
    Case("S13", "RST_STREAM(REFUSED_STREAM)", ("refused-stream", "every=7", "above=0")),
    Case("S14", "every connection rotated after 2 requests", ("nginx-rotate", "requests=2"), (RETRIES_EXHAUSTED,), requests=120),
    Case("S15", "GOAWAY, socket left open, HEADERS ignored", ("silent-goaway", "after=80")),
    Case("S16", "close with no GOAWAY", ("disconnect", "at=after-head", "after=60"), (POST_MAYBE_PROCESSED, IDEMPOTENT_RETRIED_ONCE), path="/delay/10", requests=200),
    Case("S17", "waiting for a stream slot when GOAWAY arrives", ("nginx-rotate", "requests=20"), path="/delay/5", max_streams=4, one_connection=True),
    Case("S18", "HTTP/1.1 keep-alive closed as it is reused", ("keepalive-race", "requests=2"), (POST_MAYBE_PROCESSED,), http1=True, concurrency=4, requests=150),
]


@dataclasses.dataclass
class Req:
    id: str
    method: str
    body: typing.Optional[str]  # None, "text", "big", "one-shot"

    @property
    def is_post(self) -> bool:
        return self.method == "POST"


def nth(case: Case, i: int) -> Req:
    """The `i`th request of `case`, as crates/cli/src/demo/mix.rs has it."""
    rid = f"{case.id}-{i}"
    if case.shape == BIG_POSTS:
        return Req(rid, "POST", "big")
    if case.shape == ONE_SHOT_POSTS:
        return Req(rid, "POST", "one-shot")
    return [Req(rid, "GET", None), Req(rid, "PUT", "put"), Req(rid, "POST", "post")][i % 3]


def one_shot_sync() -> typing.Iterator[bytes]:
    chunk = b"o" * ONE_SHOT_CHUNK
    for _ in range(ONE_SHOT_CHUNKS):
        yield chunk


async def one_shot_async() -> typing.AsyncIterator[bytes]:
    chunk = b"o" * ONE_SHOT_CHUNK
    for _ in range(ONE_SHOT_CHUNKS):
        yield chunk


def content_of(req: Req, sync: bool) -> typing.Any:
    if req.body is None:
        return None
    if req.body == "big":
        return b"b" * BIG_POST
    if req.body == "one-shot":
        return one_shot_sync() if sync else one_shot_async()
    return req.body.encode()
