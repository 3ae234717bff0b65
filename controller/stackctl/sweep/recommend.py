"""The recommendation: the smallest pool within 2% of the best throughput whose worst-case
connection count per Redis node stays under Redis `maxclients`, with the arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from stackctl.tyk.tables import REDIS_POOLS

GATEWAY_POOLS = REDIS_POOLS["gateway"]
PUMP_POOLS = REDIS_POOLS["pump"]
WITHIN = 0.02


@dataclass(frozen=True)
class Candidate:
    """One pool size, its median throughput, and whether every repeat was steady."""

    max_active: int
    rps: float
    stable: bool = True


def worst_case(max_active: int, gateways: int) -> int:
    """Connections one Redis node may see: (4 x gateways + 1 pump) x pool size."""
    return (GATEWAY_POOLS * gateways + PUMP_POOLS) * max_active


def formula(max_active: int, gateways: int) -> str:
    """The worst-case arithmetic as a line of text."""
    return (f"({GATEWAY_POOLS} pools x {gateways} gateway(s) + {PUMP_POOLS} pump pool) x "
            f"{max_active} = {worst_case(max_active, gateways)}")


@dataclass
class Recommendation:
    """The chosen pool (None when no point qualifies) and how it was chosen."""

    max_active: int | None
    best_rps: float
    threshold_rps: float
    maxclients: int
    maxclients_source: str
    gateways: int
    lines: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


def recommend(candidates: Sequence[Candidate], gateways: int, maxclients: int,
              source: str = "setting") -> Recommendation:
    """Apply the rule to the measured candidates, writing down every step; unstable
    points (a repeat failed the steady check) are listed but never chosen, nor set the
    best throughput."""
    best = max((c.rps for c in candidates if c.stable), default=0.0)
    threshold = best * (1 - WITHIN)
    rec = Recommendation(None, round(best, 1), round(threshold, 1), maxclients, source,
                         gateways)
    rec.lines.append(f"best median throughput {best:.1f} req/s; within {WITHIN:.0%}: "
                     f">= {threshold:.1f} req/s")
    rec.lines.append(f"Redis maxclients {maxclients} ({source})")
    for c in sorted(candidates, key=lambda c: c.max_active):
        fast = c.rps >= threshold
        fits = worst_case(c.max_active, gateways) < maxclients
        verdict = ("unstable: ignored" if not c.stable else "ok" if fast and fits
                   else "too slow" if not fast else "over maxclients")
        fast = fast and c.stable
        rec.lines.append(f"max_active {c.max_active}: {c.rps:.1f} req/s, worst case "
                         f"{formula(c.max_active, gateways)} "
                         f"{'<' if fits else '>='} {maxclients}: {verdict}")
        if rec.max_active is None and fast and fits:
            rec.max_active = c.max_active
    if rec.max_active is None:
        rec.lines.append("no pool size qualifies: lower the pool or raise maxclients")
    else:
        rec.lines.append(f"recommended optimisation_max_active = {rec.max_active} "
                         "(the smallest that qualifies)")
    return rec
