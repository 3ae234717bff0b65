"""The builtin engine: asyncio at a constant arrival rate over keep-alive HTTP/1.1
connections, one per worker, answers parsed by llhttp (httptools), on uvloop. Request
`n` is due at `t0 + n / rate`; whichever worker is free takes the next due one, so a
slow answer does not slow the schedule, and latency is measured from the due time
(coordinated omission accounted for) and from the send. `rate == 0`: back to back
(closed model). Every run is bounded by the plan's request budget and deadline. No HTTP
client library: aiohttp's costs about 300 us of CPU per request here
(`benchmarks/smoke_engines.py`), a third of the 10,000 req/s needed; the fixed GETs are
built once as bytes."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

import httptools

from stackctl.load.plan import GRACE_S, LoadPlan, LoadResult
from stackctl.load.stats import summarize

NAME = "builtin"
_clock = time.perf_counter
"""Every time the engine reads: uvloop's loop.time() ticks in whole milliseconds, too
coarse for the latencies of a loopback upstream."""
USER_AGENT = "stackctl-smoke"


@dataclass(frozen=True)
class Target:
    """Where the requests go and the bytes of each key's request."""

    host: str
    port: int
    tls: ssl.SSLContext | None
    requests: tuple[bytes, ...]


def _clean(value: str, what: str) -> str:
    if any(c in value for c in "\r\n\0"):
        raise ValueError(f"{what} must not contain CR, LF or NUL")
    return value


def target(plan: LoadPlan) -> Target:
    """Parse the plan's URL and build one GET per key (a request without a key if none)."""
    url = urlsplit(plan.url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"load URL must be http:// or https:// with a host: {plan.url!r}")
    path = _clean((url.path or "/") + (f"?{url.query}" if url.query else ""), "URL path")
    host_header = _clean(url.netloc.rpartition("@")[2], "URL host")
    head = (f"GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: */*\r\n")
    header = _clean(plan.header, "header name")
    keyed = [f"{header}: {_clean(key, 'key')}\r\n" for key in plan.keys] or [""]
    tls = ssl.create_default_context() if url.scheme == "https" else None
    port = url.port or (443 if tls else 80)
    return Target(url.hostname, port, tls,
                  tuple((head + line + "\r\n").encode("latin-1") for line in keyed))


class _Connection(asyncio.Protocol):
    """One keep-alive connection: write a request, get its status from a future."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[int] | None = None
        self.headers_done = False
        self.reusable = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"bad HTTP answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self.transport = None
        if self.waiter is not None and self.headers_done:  # a body delimited by close
            self._finish()
        else:
            self._fail(ConnectionError("connection closed before the answer"))

    # httptools callbacks
    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.reusable = False
        self._finish()

    # the worker's side
    def send(self, request: bytes) -> asyncio.Future[int]:
        """Write `request`; the future gets the answer's status."""
        if self.transport is None:
            raise ConnectionError("connection closed before the request")
        self.waiter = self.loop.create_future()
        self.headers_done = False
        self.transport.write(request)
        return self.waiter

    def expire(self) -> None:
        """The answer took too long: fail the request and drop the connection."""
        self._fail(TimeoutError("no answer in time"))

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.abort()

    def _finish(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(self.parser.get_status_code())
        if not self.reusable and self.transport is not None:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


@dataclass
class Live:
    """Read during a run from another thread: `sent` counts requests written; setting `stop`
    ends the run early (nothing new is sent; those in flight finish or time out)."""

    sent: int = 0
    stop: bool = False


@dataclass
class _Run:
    """Shared state of one run's workers (one event loop: no locks needed)."""

    plan: LoadPlan
    target: Target
    t0: float
    stop_at: float
    next_n: int = 0
    statuses: list[Counter[int]] = field(default_factory=list)
    corrected: list[float] = field(default_factory=list)
    uncorrected: list[float] = field(default_factory=list)
    timeline: list[tuple[float, float, int]] = field(default_factory=list)
    errors: int = 0
    in_flight: int = 0
    last_done: float = 0.0
    live: Live = field(default_factory=Live)

    def take(self) -> int | None:
        """The next request number, or None when the budget or the time is spent."""
        n = self.next_n
        if n >= self.plan.budget or self.live.stop:
            return None
        self.next_n = n + 1
        return n


async def _connect(loop: asyncio.AbstractEventLoop, tgt: Target, timeout: float
                   ) -> _Connection:
    factory: Callable[[], _Connection] = lambda: _Connection(loop)  # noqa: E731
    _, conn = await asyncio.wait_for(
        loop.create_connection(factory, tgt.host, tgt.port, ssl=tgt.tls), timeout)
    return conn


async def _exchange(loop: asyncio.AbstractEventLoop, tgt: Target, conn: _Connection | None,
                    key: int, deadline: float) -> tuple[_Connection, int]:
    """Send key `key`'s request and return the connection used and the status. A kept-alive
    connection the server closed while idle gets the request again on a new one, once."""
    while True:
        fresh = conn is None or not conn.reusable
        if conn is None or fresh:
            conn = await _connect(loop, tgt, max(deadline - _clock(), 0.001))
        timer = loop.call_later(max(deadline - _clock(), 0.0), conn.expire)
        try:
            return conn, await conn.send(tgt.requests[key])
        except ConnectionError:
            if fresh or conn.headers_done:
                raise
            conn = None
        finally:
            timer.cancel()


async def _worker(run: _Run) -> None:
    loop = asyncio.get_running_loop()
    plan, rate, tgt = run.plan, run.plan.rate, run.target
    keys, timeout = len(tgt.requests), plan.timeout_s
    conn: _Connection | None = None
    try:
        while True:
            n = run.take()
            if n is None:
                return
            due = run.t0 + n / rate if rate > 0 else 0.0
            now = _clock()
            if due > now:
                await asyncio.sleep(due - now)
                now = _clock()
            if now >= run.stop_at or run.live.stop:
                return
            key = n % keys
            run.in_flight += 1
            run.live.sent += 1
            try:
                conn, status = await _exchange(loop, tgt, conn, key, now + timeout)
            except (TimeoutError, OSError):  # ConnectionError is an OSError
                status = 0
                run.errors += 1
                if conn is not None:
                    conn.close()
                conn = None
            done = _clock()
            run.in_flight -= 1
            run.statuses[key][status] += 1
            run.uncorrected.append(done - now)
            # uvloop's timers tick in whole ms: a sleep may end just before `due`.
            latency = done - (min(due, now) if rate > 0 else now)
            run.corrected.append(latency)
            run.timeline.append((done - run.t0, latency, status))
            run.last_done = done
    finally:
        if conn is not None:
            conn.close()


async def _run(plan: LoadPlan, tgt: Target, live: Live) -> LoadResult:
    t0 = _clock() + 0.01
    wall0 = time.time() + 0.01
    stop_at = t0 + (plan.duration_s + GRACE_S if plan.rate > 0 else plan.duration_s)
    run = _Run(plan, tgt, t0, stop_at, statuses=[Counter() for _ in tgt.requests],
               live=live)
    workers = [asyncio.create_task(_worker(run)) for _ in range(plan.connections)]
    with contextlib.suppress(TimeoutError):  # cut off at the deadline
        await asyncio.wait_for(asyncio.gather(*workers), timeout=plan.deadline_s)
    elapsed = max(run.last_done, t0) - t0
    return LoadResult(
        engine=NAME, statuses=run.statuses, latencies_ms=summarize(run.corrected),
        uncorrected_ms=summarize(run.uncorrected), elapsed_s=elapsed, started_at=wall0,
        ended_at=wall0 + elapsed, corrected=plan.rate > 0, errors=run.errors,
        unanswered_max=run.errors + run.in_flight, timeline=run.timeline,
        note="open model, latency from the intended send time" if plan.rate > 0
        else "closed model (no --rate): latency from the actual send",
    )


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # not on every platform: the stdlib loop is about 2.5x slower
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run_builtin(plan: LoadPlan, live: Live | None = None) -> LoadResult:
    """Run `plan` on a fresh event loop (`live`: counts and a stop switch for another thread)."""
    if plan.connections < 1:
        raise ValueError("connections must be >= 1")
    tgt = target(plan)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(_run(plan, tgt, live if live is not None else Live()))
