"""Whether the load holds the requested rate, judged before the fault: the requests
actually sent in the pre-fault phase (the engine's live count, sampled twice) against
the rate asked for. A drill whose load lags is refused before anything is injected."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from stackctl.drill.buckets import BASELINE_SKIP_S
from stackctl.errors import ConfigError

TOLERANCE = 0.02
"""The load may fall short of --rate by at most this fraction before the fault."""
MIN_WINDOW_S = 0.5
"""A shorter pre-fault phase is not judged (too few requests to tell)."""
MARGIN_S = 0.05
"""The second sample comes this long before the fault."""


def window(at_s: float) -> tuple[float, float] | None:
    """The pre-fault phase sampled (offsets from the load's start): from the end of the
    first second (connections opening; from 0.2 s when the fault comes within 2 s) to
    just before the fault; None when that is shorter than MIN_WINDOW_S."""
    start = BASELINE_SKIP_S if at_s > 2 * BASELINE_SKIP_S else 0.2
    end = at_s - MARGIN_S
    return (start, end) if end - start >= MIN_WINDOW_S else None


@dataclass(frozen=True)
class RateCheck:
    """The rate asked for, the rate held between two samples of the live count, and
    the verdict."""

    requested: float
    held: float
    start_s: float
    end_s: float
    sent: int

    @property
    def passed(self) -> bool:
        """Held within TOLERANCE of the request."""
        return self.held >= self.requested * (1 - TOLERANCE)

    @property
    def short_by(self) -> float:
        """How far below the request, as a fraction (0 when at or above it)."""
        return round(max(0.0, 1 - self.held / self.requested), 4)

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {**asdict(self), "passed": self.passed, "short_by": self.short_by,
                "tolerance": TOLERANCE}


def held(requested: float, sent_a: int, at_a: float, sent_b: int, at_b: float,
         origin: float) -> RateCheck:
    """The check from two samples (count, clock) of the live count; `origin` is the
    clock at the load's start (for the offsets reported)."""
    span = at_b - at_a
    rate = (sent_b - sent_a) / span if span > 0 else 0.0
    return RateCheck(requested, round(rate, 1), round(at_a - origin, 3),
                     round(at_b - origin, 3), sent_b - sent_a)


def refuse(check: RateCheck, scenario: str) -> ConfigError:
    """The one-line refusal (exit 2): nothing was injected."""
    return ConfigError(
        "--rate", f"{check.requested:g} req/s is not held here: the load sent "
        f"{check.held:g} req/s between {check.start_s:.1f} and {check.end_s:.1f} s, "
        f"{check.short_by:.1%} short (more than {TOLERANCE:.0%}); {scenario} was not "
        "injected", "lower --rate (or free the machine) and run again")
