"""The sweep's load runs, through the load engines: closed-loop saturation with wrk from
the load image on the front network (one wrk per gateway, at once), and one fixed-rate
run with the builtin open-model engine against the published gateway."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stackctl.load.plan import LoadPlan, LoadResult

GATEWAY_PORT = 8080
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


def closed_loop(project: str, gateways: list[str], path: str, keys: tuple[str, ...],
                duration_s: float, connections: int, work_dir: Path) -> RunFigures:
    """wrk flat out against every gateway at once, `connections` shared among them."""
    from stackctl.load import wrk
    from stackctl.model import FRONT_NETWORK
    from stackctl.versions import image

    per = max(len(keys), connections // len(gateways))
    network = f"{project}_{FRONT_NETWORK}"

    def one(service: str) -> LoadResult:
        url = f"http://{service}:{GATEWAY_PORT}{path}"
        plan = LoadPlan(url, keys, duration_s, per,
                        max_requests=int(duration_s * MAX_RPS_BOUND))
        return wrk.run_in_network(plan, url, work_dir, image("load").local, network)

    with ThreadPoolExecutor(max_workers=len(gateways)) as pool:
        results = list(pool.map(one, gateways))
    return figures(results)


def fixed_rate(base_url: str, path: str, keys: tuple[str, ...], rate: float,
               duration_s: float, connections: int = 32) -> RunFigures:
    """The builtin engine at a constant arrival rate (latency corrected for coordinated
    omission), against the published gateway."""
    from stackctl.load.builtin import run_builtin

    plan = LoadPlan(base_url + path, keys, duration_s, connections, rate=rate)
    return figures([run_builtin(plan)])
