"""Latency percentiles (nearest rank) and the coordinated-omission correction.

An open-model engine knows when each request *should* have been sent. Measuring from
that intended time, not from the moment a free connection finally sent it, keeps the
queueing delay a stalled server causes in the figures (Gil Tene's coordinated omission).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

PERCENTILES = (50.0, 95.0, 99.0)


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    if not 0 < pct <= 100:
        raise ValueError(f"percentile {pct} is not in (0, 100]")
    rank = math.ceil(pct / 100 * len(sorted_values))
    return float(sorted_values[max(rank, 1) - 1])


def summarize(values_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds of latencies given in seconds."""
    ordered = sorted(values_s)
    return {f"p{pct:g}": round(percentile(ordered, pct) * 1000, 3) for pct in PERCENTILES}


def corrected_latencies(intended: Sequence[float], sent: Sequence[float],
                        done: Sequence[float]) -> tuple[list[float], list[float]]:
    """(corrected, uncorrected) latencies: `done - intended` and `done - sent`."""
    if not len(intended) == len(sent) == len(done):
        raise ValueError("intended, sent and done must have the same length")
    corrected = [d - i for i, d in zip(intended, done, strict=True)]
    uncorrected = [d - s for s, d in zip(sent, done, strict=True)]
    return corrected, uncorrected


@dataclass(frozen=True)
class Slice:
    """One stretch of a run: answered requests per second and their p99 (ms)."""

    start_s: float
    end_s: float
    requests: int
    rps: float
    p99_ms: float

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def slices(timeline: Sequence[tuple[float, float, int]], elapsed_s: float, n: int = 5
           ) -> list[Slice]:
    """The run cut into `n` equal stretches by completion time (a timeline as
    `LoadResult.timeline`); unanswered requests count in neither figure."""
    if n < 1 or elapsed_s <= 0:
        return []
    width = elapsed_s / n
    latencies: list[list[float]] = [[] for _ in range(n)]
    for done, latency, status in timeline:
        if status:
            latencies[min(n - 1, max(0, int(done / width)))].append(latency)
    out = []
    for i, values in enumerate(latencies):
        values.sort()
        out.append(Slice(round(i * width, 3), round((i + 1) * width, 3), len(values),
                         round(len(values) / width, 1), round(percentile(values, 99) * 1000, 3)))
    return out
