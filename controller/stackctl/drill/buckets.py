"""The window arithmetic on a load timeline (`LoadResult.timeline`: per request its
completion offset, latency and status; status 0 = timeout or connection error).

Requests are placed by their intended send time (completion minus the open model's
latency, which is measured from the due time): a bucket holds what the requests *sent*
then met, so a 2 s timeout shows where the request went out, not where it gave up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from stackctl.load.stats import percentile

BUCKET_S = 0.1
CLASSES = ("2xx", "401/403", "429", "5xx", "other", "error")
"""Outcome classes: `other` = any other HTTP status; `error` = no answer (timeouts,
connection errors: status 0)."""
P99_FACTOR = 2.0
"""p99 is back once it is within this factor of its pre-fault value."""
BASELINE_SKIP_S = 1.0
"""The first second of load (connections opening) is left out of the baseline."""

Timeline = Sequence[tuple[float, float, int]]


def classify(status: int) -> str:
    """The outcome class of one status."""
    if status == 0:
        return "error"
    if 200 <= status < 300:
        return "2xx"
    if status in (401, 403):
        return "401/403"
    if status == 429:
        return "429"
    if 500 <= status < 600:
        return "5xx"
    return "other"


def sent_at(done: float, latency: float) -> float:
    """When a request was (meant to be) sent (to the microsecond)."""
    return max(0.0, round(done - latency, 6))


def index(offset_s: float, bucket_s: float) -> int:
    """The bucket an offset falls in (float division made exact at bucket edges)."""
    return int(offset_s / bucket_s + 1e-9)


def bucketize(timeline: Timeline, duration_s: float, bucket_s: float = BUCKET_S
              ) -> list[dict[str, int]]:
    """Counts per class in consecutive buckets of `bucket_s` over `duration_s`."""
    n = max(1, math.ceil(round(duration_s / bucket_s, 6)))
    out = [dict.fromkeys(CLASSES, 0) for _ in range(n)]
    for done, latency, status in timeline:
        i = min(n - 1, index(sent_at(done, latency), bucket_s))
        out[i][classify(status)] += 1
    return out


def failing(bucket: dict[str, int]) -> int:
    """Requests of a bucket that did not get a 2xx."""
    return sum(v for k, v in bucket.items() if k != "2xx")


@dataclass(frozen=True)
class Window:
    """The client error window: from the start of the first failing bucket at or after
    the fault to the end of the last failing one (offsets from the load's start)."""

    start_s: float
    end_s: float
    failed: int  # non-2xx requests sent within it

    @property
    def seconds(self) -> float:
        """How long clients saw errors."""
        return round(self.end_s - self.start_s, 3)

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {**asdict(self), "seconds": self.seconds}


def error_window(buckets: Sequence[dict[str, int]], fault_s: float,
                 bucket_s: float = BUCKET_S) -> Window | None:
    """The error window after `fault_s`; None when no request failed after it."""
    first_i = index(fault_s, bucket_s)
    bad = [i for i in range(first_i, len(buckets)) if failing(buckets[i])]
    if not bad:
        return None
    failed = sum(failing(buckets[i]) for i in range(bad[0], bad[-1] + 1))
    return Window(round(bad[0] * bucket_s, 3), round((bad[-1] + 1) * bucket_s, 3), failed)


def failed_between(buckets: Sequence[dict[str, int]], start_s: float, end_s: float,
                   bucket_s: float = BUCKET_S) -> int:
    """Non-2xx requests sent in [start_s, end_s)."""
    lo, hi = index(start_s, bucket_s), min(len(buckets), math.ceil(end_s / bucket_s - 1e-9))
    return sum(failing(buckets[i]) for i in range(max(0, lo), hi))


def p99_per_second(timeline: Timeline, duration_s: float) -> list[float | None]:
    """p99 latency (ms) of the requests sent in each whole second (all outcomes: a
    timeout counts with the time it took); None for a second without requests."""
    n = max(1, int(duration_s))
    values: list[list[float]] = [[] for _ in range(n)]
    for done, latency, _status in timeline:
        i = index(sent_at(done, latency), 1.0)
        if i < n:
            values[i].append(latency)
    return [round(percentile(sorted(v), 99) * 1000, 3) if v else None for v in values]


def baseline_p99(timeline: Timeline, fault_s: float) -> float | None:
    """p99 (ms) of the requests sent before the fault (the first second left out when
    the fault comes later than 2 s); None without any."""
    skip = BASELINE_SKIP_S if fault_s > 2 * BASELINE_SKIP_S else 0.0
    values = sorted(lat for done, lat, _ in timeline if skip <= sent_at(done, lat) < fault_s)
    return round(percentile(values, 99) * 1000, 3) if values else None


def p99_recovery(per_second: Sequence[float | None], fault_s: float, baseline_ms: float,
                 after_s: float, factor: float = P99_FACTOR) -> float | None:
    """Seconds from the fault until p99 is back: the start of the first second, at or
    after `after_s` (the error window's end; the fault when there is none), whose p99
    and the next second's are both within `factor` x `baseline_ms` (the run's last
    second alone suffices). Clamped to 0 when that second started before the fault;
    None when p99 never came back within the run."""
    limit = factor * baseline_ms
    first = int(max(after_s, fault_s))
    for i in range(first, len(per_second)):
        here = per_second[i]
        if here is None or here > limit:
            continue
        nxt = per_second[i + 1] if i + 1 < len(per_second) else here
        if nxt is not None and nxt <= limit:
            return round(max(0.0, i - fault_s), 3)
    return None


def sent_rate(timeline: Timeline, start_s: float, end_s: float) -> float:
    """Requests per second sent in [start_s, end_s) (the rate the engine held)."""
    if end_s <= start_s:
        return 0.0
    n = sum(1 for done, lat, _ in timeline if start_s <= sent_at(done, lat) < end_s)
    return round(n / (end_s - start_s), 1)
