"""What a load engine is asked to do, and what it measured."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_REQUESTS = 5_000_000
"""Hard cap on the requests of one run, whatever the rate and duration."""
GRACE_S = 5.0
"""How long past its duration a run may take to drain before it is cut off."""


@dataclass(frozen=True)
class LoadPlan:
    """One load run: where, how long, how hard, with which keys. Request `n` carries key
    `n % len(keys)` in `header`; `rate` > 0 is an open model, 0 as fast as `connections` allow."""

    url: str
    keys: tuple[str, ...]
    duration_s: float
    connections: int
    rate: float = 0.0
    header: str = "Authorization"
    timeout_s: float = 5.0
    max_requests: int = MAX_REQUESTS

    @property
    def budget(self) -> int:
        """The most requests this plan may send (bounded in count as well as time)."""
        if self.rate > 0:
            return min(self.max_requests, max(1, int(self.rate * self.duration_s)))
        return self.max_requests

    @property
    def deadline_s(self) -> float:
        """Wall-clock bound of the whole run."""
        return self.duration_s + self.timeout_s + GRACE_S


@dataclass(frozen=True)
class SliceCounts:
    """Answers per fixed wall-clock slice, for engines without per-request times (wrk): slice `i`
    is `[start + i * width_s, start + (i + 1) * width_s)`; the edge slices are partial."""

    start: float
    width_s: float
    counts: tuple[int, ...]

    @property
    def end(self) -> float:
        """Where the last slice ends."""
        return self.start + self.width_s * len(self.counts)


@dataclass
class LoadResult:
    """What a run measured. `statuses[i]` counts HTTP statuses per key index (0 = error)."""

    engine: str
    statuses: list[Counter[int]]
    latencies_ms: dict[str, float]
    elapsed_s: float
    started_at: float  # wall clock (time.time) of the first send
    ended_at: float
    corrected: bool  # latencies measured from the intended send time
    errors: int = 0
    unanswered_max: int = 0  # sent but unanswered (timeouts, in flight at the end)
    uncorrected_ms: dict[str, float] = field(default_factory=dict)
    note: str = ""
    timeline: list[tuple[float, float, int]] = field(default_factory=list, repr=False)
    """Per request, in completion order: (seconds from the start when it completed, its
    latency in seconds, its status, 0 = no answer). Empty for engines that give none."""
    answers: SliceCounts | None = None
    """Answers per slice of time (wrk, which gives no per-request timeline); None when
    the engine gives a `timeline` instead, or nothing."""
    engine_cpu_s: float | None = None
    """The engine's own CPU seconds (user + system) when it reports them (wrk)."""

    @property
    def requests(self) -> int:
        """Requests answered (any HTTP status)."""
        return sum(n for c in self.statuses for s, n in c.items() if s)

    @property
    def rps(self) -> float:
        """Answered requests per second of the run."""
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def total(self) -> Counter[int]:
        """Statuses over all keys."""
        out: Counter[int] = Counter()
        for c in self.statuses:
            out.update(c)
        return out
