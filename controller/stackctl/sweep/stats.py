"""Median, spread and confidence interval of a point's repeats."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Spread:
    """Median, range and the range relative to the median (percent)."""

    median: float
    min: float
    max: float
    spread_pct: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def spread(values: Sequence[float]) -> Spread:
    """The Spread of `values` (all zeros for none)."""
    if not values:
        return Spread(0.0, 0.0, 0.0, 0.0, 0)
    med = float(statistics.median(values))
    lo, hi = float(min(values)), float(max(values))
    pct = (hi - lo) / med * 100 if med else 0.0
    return Spread(round(med, 3), round(lo, 3), round(hi, 3), round(pct, 2), len(values))


T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
       2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093)
"""Student's t, two-sided 95%, for 1..19 degrees of freedom (repeats 2..20)."""
INTERVAL_METHOD = ("mean of the repeats ± Student's t (95%, n-1 degrees of freedom) x "
                   "standard deviation / sqrt(n)")


@dataclass(frozen=True)
class Interval:
    """A 95% t-interval of the mean of `n` repeats; with one repeat low = high = mean and
    `sd` None (no spread measured)."""

    mean: float
    low: float
    high: float
    sd: float | None
    n: int

    @property
    def measured(self) -> bool:
        """Whether the interval says anything (two repeats or more)."""
        return self.sd is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def t_interval(values: Sequence[float]) -> Interval:
    """The 95% t-interval of the mean of `values` (independent repeats, roughly normal)."""
    n = len(values)
    if not n:
        return Interval(0.0, 0.0, 0.0, None, 0)
    mean = statistics.fmean(values)
    if n < 2:
        return Interval(round(mean, 3), round(mean, 3), round(mean, 3), None, 1)
    sd = statistics.stdev(values)
    half = T95[min(n - 1, len(T95)) - 1] * sd / n ** 0.5
    return Interval(round(mean, 3), round(mean - half, 3), round(mean + half, 3),
                    round(sd, 3), n)


def _col(repeats: Sequence[dict[str, Any]], *path: str) -> list[float]:
    values = []
    for r in repeats:
        node: Any = r
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, int | float):
            values.append(float(node))
    return values


def _median(values: Sequence[float]) -> float | None:
    """The median, None when nothing was measured (never a made-up 0)."""
    return spread(values).median if values else None


def stable(verdicts: Sequence[bool | None]) -> bool | None:
    """A point's steadiness from its repeats' verdicts (None: not measured): False when
    every repeat failed (a degradation that repeats is the stack's; on this shared
    machine a third of all 10 s flat-out repeats lost 10% in their last 2 s, at every
    pool alike: judging each repeat left six of eight pools "unstable" in one benchmark
    sweep, judging most of them two or three, different ones each run), else None when
    any was not measured (or there are none), else True. report.steadiness_judged then
    asks whether the sweep as a whole was steady enough to judge a point by."""
    if verdicts and all(v is False for v in verdicts):
        return False
    if not verdicts or None in verdicts:
        return None
    return True


def summarize_repeats(repeats: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A point's summary: median and spread of the load figures, totals of the failures,
    the peak Redis clients per node, the cost per request (medians; None where not
    measured), whether every repeat was steady (None: not measured), and the resource most
    repeats saturated."""
    clients: dict[str, int] = {}
    for r in repeats:
        for node, n in (r.get("redis_clients") or {}).items():
            clients[node] = max(clients.get(node, 0), int(n))
    out: dict[str, Any] = {
        name: spread(_col(repeats, *path)).as_dict()
        for name, path in (("rps", ("closed", "rps")), ("p50_ms", ("closed", "p50_ms")),
                           ("p99_ms", ("closed", "p99_ms")), ("fixed_rps", ("fixed", "rps")),
                           ("fixed_p50_ms", ("fixed", "p50_ms")),
                           ("fixed_p99_ms", ("fixed", "p99_ms")))
    }
    out["rps_ci"] = t_interval(_col(repeats, "closed", "rps")).as_dict()
    out["p99_ci"] = t_interval(_col(repeats, "closed", "p99_ms")).as_dict()
    out["errors"] = int(sum(_col(repeats, "closed", "errors") + _col(repeats, "fixed",
                                                                     "errors")))
    out["non_2xx"] = int(sum(_col(repeats, "closed", "non_2xx") + _col(repeats, "fixed",
                                                                       "non_2xx")))
    out["pool_timeouts"] = int(sum(_col(repeats, "pool_timeouts")))
    out["redis_clients_max"] = clients
    out["gateway_cpu_us_per_request"] = spread(_col(repeats, "gateway_cpu_us_per_request")
                                               ).as_dict()
    out["gateway_mem_mib"] = _median(_col(repeats, "gateway_mem_mib"))
    out["redis_commands_per_request"] = _median(
        _col(repeats, "cost", "redis_commands_per_request"))
    out["new_connections_per_request"] = _median(
        _col(repeats, "cost", "new_connections_per_request"))
    steady = [(r.get("steady") or {}).get("passed") for r in repeats]
    out["stable"] = stable(steady)
    out["unstable_repeats"] = steady.count(False)
    verdicts = Counter(str(r.get("saturated", "unknown")) for r in repeats)
    out["saturated"] = verdicts.most_common(1)[0][0] if verdicts else "unknown"
    return out
