"""Rate-limit arithmetic: how many requests a key limited to `rate` per `per` seconds
should get through in a run, for a fixed-window limiter (Tyk's
`enable_fixed_window_rate_limiter`, windows aligned on multiples of `per`), with slack
for a leaky-bucket limiter (Tyk's in-memory DRL), which refills during the run."""

from __future__ import annotations

import math
from dataclasses import dataclass

CLOCK_MARGIN_S = 0.5
"""How far the gateway's view of a request's time may be from the client's."""


@dataclass(frozen=True)
class Allowed:
    """The expected allowed count, as an inclusive range."""

    low: int
    high: int

    def __contains__(self, n: object) -> bool:
        return isinstance(n, int) and self.low <= n <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def windows_touched(start: float, end: float, per: float, margin: float = CLOCK_MARGIN_S
                    ) -> int:
    """The most fixed windows of `per` seconds a run from `start` to `end` (epoch s) can
    touch, allowing `margin` on both ends."""
    if per <= 0:
        raise ValueError("per must be > 0")
    first = math.floor((start - margin) / per)
    last = math.floor((end + margin) / per)
    return max(1, last - first + 1)


def expected_allowed(sent: int, rate: float, per: float, start: float, end: float
                     ) -> Allowed:
    """How many of `sent` requests a key limited to `rate` per `per` lets through.

    At least min(sent, rate): the windows' capacities add up to at least one window's.
    At most `rate` per window touched, plus what a leaky bucket refills in the run.
    """
    cap = max(0, math.floor(rate))
    refill = math.ceil(cap * max(0.0, end - start) / per)
    return Allowed(min(sent, cap), min(sent, cap * windows_touched(start, end, per) + refill))


def limit_for(expected_per_key: float) -> int:
    """A limit low enough to be exceeded even when the stack manages only a fraction of
    the asked rate: a tenth of what a key is expected to send, at least 1."""
    return max(1, math.floor(expected_per_key / 10))
