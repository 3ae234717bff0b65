"""A load run on this host between two meter snapshots: what it cost, or why not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from stackctl.errors import ToolError
from stackctl.load.plan import LoadResult
from stackctl.meter.cost import Cost, cost
from stackctl.meter.snapshot import MeterSource, read_snapshot

R = TypeVar("R", LoadResult, list[LoadResult])


def _requests(result: LoadResult | list[LoadResult]) -> int:
    return (result.requests if isinstance(result, LoadResult)
            else sum(r.requests for r in result))


def metered(source: MeterSource, pool_timeouts: Callable[[float], int],
            loadgen_cpu: Callable[[], float], run: Callable[[], R]
            ) -> tuple[R, Cost | None, str]:
    """`run()` between two snapshots of `source`, with the gateways' pool timeouts since its
    start; the result and its cost (None, and why, when the counters cannot be read here)."""
    since = time.time()
    try:
        before = read_snapshot(source, loadgen_cpu)
    except ToolError as exc:
        return run(), None, str(exc)
    result = run()
    try:
        after = read_snapshot(source, loadgen_cpu)
        timeouts = pool_timeouts(since)
    except ToolError as exc:
        return result, None, str(exc)
    return result, cost(before, after, _requests(result), max(0, timeouts)), ""
