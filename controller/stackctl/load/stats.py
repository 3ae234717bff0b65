"""Latency percentiles (nearest rank). An open-model engine measures from when each request
was due, not when a free connection sent it, so a stalled server's queueing delay stays
in the figures (Gil Tene's coordinated omission)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from stackctl.load.plan import SliceCounts

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


@dataclass(frozen=True)
class Slice:
    """One stretch of a run: answers per second and their p99 (ms; None from wrk's counts)."""

    start_s: float
    end_s: float
    requests: int
    rps: float
    p99_ms: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def slices(timeline: Sequence[tuple[float, float, int]], elapsed_s: float, n: int = 5
           ) -> list[Slice]:
    """The run cut into `n` equal stretches by completion time (unanswered: in none)."""
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


def trimmed(counts: SliceCounts) -> SliceCounts | None:
    """Without the partial first and last slices; None when fewer than three remain."""
    if len(counts.counts) < 5:
        return None
    return SliceCounts(counts.start + counts.width_s, counts.width_s, counts.counts[1:-1])


def merge_counts(parts: Sequence[SliceCounts | None]) -> SliceCounts | None:
    """Concurrent runs' counts (the load tasks') as one over the span where all ran, partial
    edge slices left out; None when one has no counts, widths differ, or they never overlap."""
    kept = [trimmed(p) if p is not None else None for p in parts]
    if not kept or any(k is None for k in kept):
        return None
    runs = [k for k in kept if k is not None]
    width = runs[0].width_s
    if any(abs(r.width_s - width) > 1e-9 for r in runs):
        return None
    first = [round(r.start / width) for r in runs]
    last = [f + len(r.counts) for f, r in zip(first, runs, strict=True)]
    start, end = max(first), min(last)
    if end - start < 3:
        return None
    total = [0] * (end - start)
    for f, r in zip(first, runs, strict=True):
        for i in range(start, end):
            total[i - start] += r.counts[i - f]
    return SliceCounts(start * width, width, tuple(total))


def count_slices(counts: SliceCounts | None, n: int = 5) -> list[Slice]:
    """The run cut into `n` equal stretches from per-slice counts (a slice goes to the stretch
    holding its middle; p99 unknown); empty with fewer slices than stretches."""
    if counts is None or n < 1 or len(counts.counts) < n:
        return []
    span = counts.width_s * len(counts.counts)
    width = span / n
    totals = [0] * n
    for i, count in enumerate(counts.counts):
        middle = (i + 0.5) * counts.width_s
        totals[min(n - 1, int(middle / width))] += count
    return [Slice(round(i * width, 3), round((i + 1) * width, 3), total,
                  round(total / width, 1), None) for i, total in enumerate(totals)]


def answers_between(counts: SliceCounts | None, start: float, end: float) -> float | None:
    """Answers between two wall-clock instants (cut slices pro rata); None without counts."""
    if counts is None:
        return None
    total = 0.0
    for i, count in enumerate(counts.counts):
        lo = counts.start + i * counts.width_s
        hi = lo + counts.width_s
        overlap = min(hi, end) - max(lo, start)
        if overlap > 0:
            total += count * overlap / counts.width_s
    return total

