"""Rate-limit arithmetic: how many requests a key limited to `rate` per `per` seconds gets
through in a run, per limiter (tyk.tables RATE_LIMITERS): the fixed window exactly
(windows aligned on multiples of `per`); the leaky bucket (in-memory DRL) refills during
the run; the sliding log lets at most `rate` through in any `per` seconds (one or two
fewer: it counts the request being decided); the sentinel limiter also passes requests
in flight when the limit is reached."""

from __future__ import annotations

import math
from dataclasses import dataclass

from stackctl.tyk.schema import LimiterKind
from stackctl.tyk.tables import DRL_THRESHOLD

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
    """The most fixed `per`-second windows a run from `start` to `end` touches (`margin` slack)."""
    if per <= 0:
        raise ValueError("per must be > 0")
    first = math.floor((start - margin) / per)
    return max(1, math.floor((end + margin) / per) - first + 1)


SLIDING_LOG_SHORT = 2
"""A sliding log may stop this many short of `rate` (Tyk blocks when the count, this
request included, exceeds rate - 1; the sentinel variant subtracts one more)."""


def drl_kind(rate: float, per: float, gateways: int) -> LimiterKind:
    """What Tyk's default limiter (DRL) does with a key when it hears `gateways` gateways
    (itself included): the in-memory bucket with one gateway or above DRL_THRESHOLD req/s
    per gateway, else the Redis sliding log (tables.DRL_THRESHOLD)."""
    if gateways <= 1 or rate / per > gateways * DRL_THRESHOLD:
        return "leaky-bucket"
    return "sliding-log"


def expected_allowed(sent: int, rate: float, per: float, start: float, end: float,
                     kind: LimiterKind = "fixed-window", in_flight: int = 0,
                     gateways: int = 1, sliding_refuses: bool = False) -> Allowed:
    """How many of `sent` requests a key limited to `rate` per `per` passes with a `kind`
    limiter; `in_flight`: requests open at once; `gateways`: the gateways the DRL hears
    (it shares `rate` among them, or hands low rates to the sliding log);
    `sliding_refuses`: the sliding log cannot reach Redis, so it refuses every request."""
    if kind == "leaky-bucket":
        kind = drl_kind(rate, per, gateways)
        if kind == "sliding-log" and sliding_refuses:
            return Allowed(0, 0)
    cap = max(0, math.floor(rate))
    windows = windows_touched(start, end, per)
    low = min(sent, cap)
    if kind == "fixed-window":  # at least one window's worth, at most one per window
        return Allowed(low, min(sent, cap * windows))
    if kind == "leaky-bucket":  # each gateway's share; plus what refills during the run
        refill = math.ceil(cap * max(0.0, end - start) / per)
        share = min(sent, max(1, math.floor(rate / max(1, gateways))))
        return Allowed(share, max(share, min(sent, cap * windows + refill)))
    short = max(0, low - SLIDING_LOG_SHORT)
    spans = math.ceil(max(0.0, end - start) / per) + 1  # per-long spans the run overlaps
    slack = in_flight if kind == "sentinel" else 0
    return Allowed(short, min(sent, cap * spans + slack))


def limit_for(expected_per_key: float) -> int:
    """A limit exceeded even at a fraction of the rate: a tenth of a key's share, at least 1."""
    return max(1, math.floor(expected_per_key / 10))
