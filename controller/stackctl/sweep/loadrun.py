"""The sweep's load runs, through the builtin engine: closed-loop saturation against every
gateway's front-network address at once (no published-port proxy in the path; one engine
per gateway, each on its own event loop), and one fixed-rate open-model run against the
published gateway. Both keep a per-request timeline for the steady check."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from stackctl.load.builtin import run_builtin
from stackctl.load.plan import LoadPlan, LoadResult

MAX_RPS_BOUND = 50_000
"""Request budget per run: duration x this (a count bound far above what 2 cores do)."""


@dataclass(frozen=True)
class RunFigures:
    """What one load run (or a set of concurrent ones) measured."""

    engine: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors and timeouts
    non_2xx: int

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def _non_2xx(result: LoadResult) -> int:
    return sum(n for s, n in result.total().items() if s and not 200 <= s < 300)


def figures(results: list[LoadResult]) -> RunFigures:
    """Concurrent runs combined: rates and counts add up; percentiles are the worst run's
    (exact for one run, an upper bound for several)."""
    return RunFigures(
        engine=results[0].engine if results else "",
        requests=sum(r.requests for r in results),
        rps=round(sum(r.rps for r in results), 1),
        p50_ms=max((r.latencies_ms.get("p50", 0.0) for r in results), default=0.0),
        p99_ms=max((r.latencies_ms.get("p99", 0.0) for r in results), default=0.0),
        errors=sum(r.errors for r in results),
        non_2xx=sum(_non_2xx(r) for r in results))


def closed_loop(bases: list[str], path: str, keys: tuple[str, ...], duration_s: float,
                connections: int) -> list[LoadResult]:
    """The builtin engine flat out against every gateway (`bases`: http://addr:port) at
    once, `connections` shared among them; one result per gateway."""
    per = max(1, connections // len(bases))

    def one(base: str) -> LoadResult:
        return run_builtin(LoadPlan(base + path, keys, duration_s, per,
                                    max_requests=int(duration_s * MAX_RPS_BOUND)))

    with ThreadPoolExecutor(max_workers=len(bases)) as pool:
        return list(pool.map(one, bases))


def merged_timeline(results: list[LoadResult]) -> list[tuple[float, float, int]]:
    """Concurrent runs' timelines as one, in completion order (their starts are within
    milliseconds of each other)."""
    return sorted(t for r in results for t in r.timeline)


def fixed_rate(base_url: str, path: str, keys: tuple[str, ...], rate: float,
               duration_s: float, connections: int = 32) -> RunFigures:
    """The builtin engine at a constant arrival rate (latency corrected for coordinated
    omission), against the published gateway."""
    plan = LoadPlan(base_url + path, keys, duration_s, connections, rate=rate)
    return figures([run_builtin(plan)])
