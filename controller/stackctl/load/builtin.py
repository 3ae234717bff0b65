"""The builtin engine: asyncio + aiohttp, open model at a constant arrival rate.

Request `n` is due at `t0 + n / rate`. Whichever of the `connections` workers is free
takes the next due request, so a slow answer does not slow the schedule down; latency
is measured from the due time (coordinated omission accounted for) and, for reference,
from the actual send. A stack that falls behind gets every due request late, not fewer
requests. With `rate == 0` the workers send back to back until the duration ends (closed
model). Every run is bounded by the plan's request budget and its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field

from stackctl.load.plan import GRACE_S, LoadPlan, LoadResult
from stackctl.load.stats import summarize

NAME = "builtin"


@dataclass
class _Run:
    """Shared state of one run's workers (one event loop: no locks needed)."""

    plan: LoadPlan
    t0: float
    stop_at: float
    next_n: int = 0
    statuses: list[Counter[int]] = field(default_factory=list)
    corrected: list[float] = field(default_factory=list)
    uncorrected: list[float] = field(default_factory=list)
    errors: int = 0
    in_flight: int = 0
    last_done: float = 0.0

    def take(self) -> int | None:
        """The next request number, or None when the budget or the time is spent."""
        n = self.next_n
        if n >= self.plan.budget:
            return None
        self.next_n = n + 1
        return n


async def _worker(run: _Run, session: object, headers: list[dict[str, str]]) -> None:
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    loop = asyncio.get_running_loop()
    plan, rate, keys = run.plan, run.plan.rate, len(headers)
    url = plan.url
    while True:
        n = run.take()
        if n is None:
            return
        due = run.t0 + n / rate if rate > 0 else 0.0
        now = loop.time()
        if due > now:
            await asyncio.sleep(due - now)
            now = loop.time()
        if now >= run.stop_at:
            return
        key = n % keys
        run.in_flight += 1
        try:
            async with session.get(url, headers=headers[key]) as resp:
                await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError):
            status = 0
            run.errors += 1
        done = loop.time()
        run.in_flight -= 1
        run.statuses[key][status] += 1
        run.uncorrected.append(done - now)
        run.corrected.append(done - (due if rate > 0 else now))
        run.last_done = done


async def _run(plan: LoadPlan) -> LoadResult:
    import aiohttp

    loop = asyncio.get_running_loop()
    headers = [{plan.header: key} for key in plan.keys] or [{}]
    connector = aiohttp.TCPConnector(limit=plan.connections, force_close=False,
                                     enable_cleanup_closed=False, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=plan.timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     cookie_jar=aiohttp.DummyCookieJar(),
                                     auto_decompress=False, trust_env=False) as session:
        t0 = loop.time() + 0.01
        wall0 = time.time() + 0.01
        stop_at = t0 + (plan.duration_s + GRACE_S if plan.rate > 0 else plan.duration_s)
        run = _Run(plan, t0, stop_at,
                   statuses=[Counter() for _ in headers])
        workers = [asyncio.create_task(_worker(run, session, headers))
                   for _ in range(plan.connections)]
        with contextlib.suppress(TimeoutError):  # cut off at the deadline
            await asyncio.wait_for(asyncio.gather(*workers), timeout=plan.deadline_s)
        elapsed = max(run.last_done, t0) - t0
    return LoadResult(
        engine=NAME, statuses=run.statuses, latencies_ms=summarize(run.corrected),
        uncorrected_ms=summarize(run.uncorrected), elapsed_s=elapsed, started_at=wall0,
        ended_at=wall0 + elapsed, corrected=plan.rate > 0, errors=run.errors,
        unanswered_max=run.errors + run.in_flight,
        note="open model, latency from the intended send time" if plan.rate > 0
        else "closed model (no --rate): latency from the actual send",
    )


def run_builtin(plan: LoadPlan) -> LoadResult:
    """Run `plan` on a fresh event loop and return what it measured."""
    if plan.connections < 1:
        raise ValueError("connections must be >= 1")
    return asyncio.run(_run(plan))
