"""The A/A noise: the stack's own pool measured twice, interleaved with the other points.
One burst (a repeat far off the rest) must not set the noise for the whole sweep, nor
hide it: outlier repeats are named and left out, and the figure is never below the
spread every point's repeats show."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from stackctl.sweep.stats import t_interval

MAD_SCALE = 1.4826
"""MAD x this estimates one standard deviation of normal repeats."""
OUTLIER_SDS = 3.0
OUTLIER_MIN_PCT = 5.0
RULE = (f"noise = the largest of: the A/A difference |mean A - mean A'|, the 95% "
        f"t-interval half-width of the A/A repeats pooled, and the median over the points "
        f"of their repeats' spread (range / median); each in % of its mean. An A/A repeat "
        f"is an outlier, named and left out of the first two, when it is further from the "
        f"A/A median than {OUTLIER_SDS:g} x {MAD_SCALE} x MAD and more than "
        f"{OUTLIER_MIN_PCT:g}% of it")


@dataclass(frozen=True)
class Outlier:
    """One A/A repeat left out: its arm ("A" or "A'"), round (from 1), req/s, and how far
    off the A/A median it landed (%)."""

    arm: str
    round: int
    rps: float
    off_pct: float

    def text(self) -> str:
        """In words."""
        return f"{self.arm} round {self.round} at {self.rps:.1f} req/s ({self.off_pct:+.1f}%)"


def outliers(a: Sequence[float], b: Sequence[float]) -> list[Outlier]:
    """The A/A repeats (`a`, `b`: req/s by round) off the pooled median by more than
    OUTLIER_SDS robust standard deviations and OUTLIER_MIN_PCT; [] under three repeats."""
    pooled = [*a, *b]
    if len(pooled) < 3:
        return []
    mid = statistics.median(pooled)
    mad = statistics.median(abs(x - mid) for x in pooled)
    out = []
    for arm, values in (("A", a), ("A'", b)):
        for i, x in enumerate(values):
            off = abs(x - mid)
            if mid and off > OUTLIER_SDS * MAD_SCALE * mad and off / mid * 100 > OUTLIER_MIN_PCT:
                out.append(Outlier(arm, i + 1, x, round((x - mid) / mid * 100, 1)))
    return out


def median_spread(spreads: Sequence[float]) -> float | None:
    """The median of the points' repeat spreads (%), None when no point has two repeats."""
    return round(float(statistics.median(spreads)), 2) if spreads else None


@dataclass(frozen=True)
class Noise:
    """The A/A pair at `max_active`: each arm's req/s by round, and the median spread of
    every point's repeats (`spread_pct`, None: not measured)."""

    max_active: int
    a: tuple[float, ...]
    b: tuple[float, ...]
    spread_pct: float | None = None

    @property
    def outliers(self) -> list[Outlier]:
        """The A/A repeats left out."""
        return outliers(self.a, self.b)

    def _kept(self) -> tuple[list[float], list[float]]:
        gone = {(o.arm, o.round) for o in self.outliers}
        return ([x for i, x in enumerate(self.a) if ("A", i + 1) not in gone],
                [x for i, x in enumerate(self.b) if ("A'", i + 1) not in gone])

    @property
    def mean(self) -> float:
        """The mean of the A/A repeats kept (req/s)."""
        a, b = self._kept()
        return statistics.fmean([*a, *b]) if a or b else 0.0

    @property
    def diff_pct(self) -> float:
        """|mean A - mean A'| of the repeats kept, in % of their mean."""
        a, b = self._kept()
        if not (a and b and self.mean):
            return 0.0
        return round(abs(statistics.fmean(a) - statistics.fmean(b)) / self.mean * 100, 2)

    @property
    def raw_pct(self) -> float:
        """The same over every repeat, outliers included (what one burst does to it)."""
        if not (self.a and self.b):
            return 0.0
        mean = statistics.fmean([*self.a, *self.b])
        gap = abs(statistics.fmean(self.a) - statistics.fmean(self.b))
        return round(gap / mean * 100, 2) if mean else 0.0

    @property
    def halfwidth_pct(self) -> float:
        """The 95% t-interval half-width of the kept A/A repeats pooled, in % of their
        mean (0 under two repeats)."""
        a, b = self._kept()
        ci = t_interval([*a, *b])
        return round((ci.high - ci.mean) / ci.mean * 100, 2) if ci.measured and ci.mean \
            else 0.0

    @property
    def pct(self) -> float:
        """The noise figure (%): RULE."""
        return max(self.diff_pct, self.halfwidth_pct, self.spread_pct or 0.0)

    @property
    def band(self) -> float:
        """The noise in req/s at the A/A mean."""
        return round(self.pct * self.mean / 100, 1)

    def lines(self) -> list[str]:
        """The noise in words: the pair, any outliers, the figure and its rule."""
        a, b = self._kept()
        out = [f"A/A noise: max_active {self.max_active} twice, "
               f"{statistics.fmean(a) if a else 0.0:.1f} and "
               f"{statistics.fmean(b) if b else 0.0:.1f} req/s "
               f"({len(a)} and {len(b)} repeats kept): {self.diff_pct:.2f}% apart"]
        if self.outliers:
            out.append(f"A/A outlier repeat(s), left out: "
                       f"{'; '.join(o.text() for o in self.outliers)} (with them the pair "
                       f"is {self.raw_pct:.2f}% apart)")
        spread = "not measured" if self.spread_pct is None else f"{self.spread_pct:.2f}%"
        out.append(f"noise {self.pct:.2f}% ({self.band:.1f} req/s) = max(A/A difference "
                   f"{self.diff_pct:.2f}%, A/A half-width {self.halfwidth_pct:.2f}%, median "
                   f"repeat spread {spread}); rule: {RULE}")
        return out

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"max_active": self.max_active, "a": list(self.a), "b": list(self.b),
                "spread_pct": self.spread_pct, "diff_pct": self.diff_pct,
                "raw_pct": self.raw_pct, "halfwidth_pct": self.halfwidth_pct,
                "pct": self.pct, "band": self.band, "mean": round(self.mean, 1),
                "outliers": [asdict(o) for o in self.outliers], "rule": RULE}
