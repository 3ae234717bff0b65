"""Is a run in a steady state: its last fifth against its first (throughput and p99)?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stackctl.load.stats import Slice

RPS_MIN = 0.9
"""The last fifth's throughput must be at least this share of the first fifth's."""
P99_FACTOR = 2.0
P99_SLACK_MS = 5.0
"""The last fifth's p99 may be at most twice the first fifth's, or 5 ms more, whichever is
larger (a loopback p99 of 1 ms doubling to 2 ms is noise, not a trend)."""


@dataclass(frozen=True)
class Steadiness:
    """The verdict and its figures in one line."""

    passed: bool
    detail: str


def steadiness(parts: Sequence[Slice]) -> Steadiness:
    """A stack degrading under sustained load fails here even when the averages look fine."""
    if len(parts) < 2 or parts[0].requests == 0:
        return Steadiness(False, "no timeline: the run answered nothing, or too briefly "
                          "to cut into fifths")
    first, last = parts[0], parts[-1]
    ratio = last.rps / first.rps
    if first.p99_ms is None or last.p99_ms is None:
        return Steadiness(
            ratio >= RPS_MIN,
            f"last fifth {last.rps:.0f} req/s vs first fifth {first.rps:.0f} req/s: "
            f"throughput x{ratio:.2f} (>= {RPS_MIN}); p99 per fifth not measured (the "
            "engine counts answers per slice of time, it gives no per-request times)")
    p99_max = max(first.p99_ms * P99_FACTOR, first.p99_ms + P99_SLACK_MS)
    return Steadiness(
        ratio >= RPS_MIN and last.p99_ms <= p99_max,
        f"last fifth {last.rps:.0f} req/s, p99 {last.p99_ms:.1f} ms vs first fifth "
        f"{first.rps:.0f} req/s, p99 {first.p99_ms:.1f} ms: throughput x{ratio:.2f} "
        f"(>= {RPS_MIN}), p99 <= {p99_max:.1f} ms")
