"""The judgement and the recommendation: the A/A noise, each pool's interval against the
best's, the group indistinguishable from the best, which pools are safe, the knee (where
the mechanism's waits and pool timeouts stop: throughput on a busy machine is too noisy
to place it), and the smallest safe pool of the group, every step written down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from stackctl.sweep.noise import Noise
from stackctl.sweep.stats import INTERVAL_METHOD, Interval
from stackctl.tyk.tables import REDIS_POOLS

GATEWAY_POOLS = REDIS_POOLS["gateway"]
PUMP_POOLS = REDIS_POOLS["pump"]


@dataclass(frozen=True)
class Candidate:
    """One pool size as measured: its throughput interval over the repeats, steadiness
    (None: not measured), pool timeouts, errors (client errors and non-2xx) and whether
    its gateway connections filled the pool (None: not read)."""

    max_active: int
    rps: Interval
    stable: bool | None = True
    pool_timeouts: int = 0
    errors: int = 0
    waits: bool | None = None


def worst_case(max_active: int, gateways: int) -> int:
    """Connections one Redis node may see: (4 x gateways + 1 pump) x pool size."""
    return (GATEWAY_POOLS * gateways + PUMP_POOLS) * max_active


def formula(max_active: int, gateways: int) -> str:
    """The worst-case arithmetic as a line of text."""
    return (f"({GATEWAY_POOLS} pools x {gateways} gateway(s) + {PUMP_POOLS} pump pool) x "
            f"{max_active} = {worst_case(max_active, gateways)}")


def unsafe_reasons(c: Candidate, gateways: int, maxclients: int) -> list[str]:
    """Why pool `c` is not safe ([] when it is)."""
    out = []
    if c.stable is False:
        out.append("unstable: ignored")
    if c.pool_timeouts:
        out.append(f"{c.pool_timeouts} pool timeout(s)")
    if c.errors:
        out.append(f"{c.errors} error(s)")
    if c.waits:
        out.append(f"waits: the commands in flight per node exceed {GATEWAY_POOLS} pools x "
                   f"{c.max_active} (Little's law)")
    if worst_case(c.max_active, gateways) >= maxclients:
        out.append(f"worst case {formula(c.max_active, gateways)} >= maxclients "
                   f"{maxclients}: over maxclients")
    return out


def gap_pct(c: Interval, best: Interval) -> float:
    """How far `c`'s mean is below the best's, in % of the best's."""
    return (best.mean - c.mean) / best.mean * 100 if best.mean else 0.0


def slower(c: Interval, best: Interval, noise: Noise | None) -> bool:
    """Whether `c` is slower than `best`: both intervals measured, c's upper bound below
    best's lower bound, and the gap wider than the noise (when measured; in %)."""
    if not (c.measured and best.measured):
        return False
    return c.high < best.low and (noise is None or gap_pct(c, best) > noise.pct)


@dataclass
class Recommendation:
    """The chosen pool (None when none qualifies), the group, the knee and the working."""

    max_active: int | None
    best_max_active: int | None
    best_rps: float
    group: list[int]
    slower: list[int]
    unsafe: dict[int, list[str]]
    knee: int | None
    noise: dict[str, Any] | None
    maxclients: int
    maxclients_source: str
    gateways: int
    method: str = INTERVAL_METHOD
    lines: list[str] = field(default_factory=list)
    floor: int = 1  # the smallest pool Little's law with headroom allows

    def as_dict(self) -> dict[str, Any]:
        """JSON view (pool sizes as JSON keys are strings)."""
        out = asdict(self)
        out["unsafe"] = {str(k): v for k, v in self.unsafe.items()}
        return out


def knee(ordered: Sequence[int], good: set[int]) -> int | None:
    """The smallest pool from which every larger pool swept is good (None: the largest
    is not)."""
    found = None
    for size in reversed(ordered):
        if size not in good:
            break
        found = size
    return found


def knee_line(ordered: Sequence[Candidate], rec: Recommendation) -> str:
    """The knee in words: where waits and pool timeouts stop, and what is below it."""
    if rec.knee is None:
        return "knee: not found (the largest pool swept still waits or times out)"
    below = [f"{c.max_active} ({'waits' if c.waits else ''}"
             f"{', ' if c.waits and c.pool_timeouts else ''}"
             f"{f'{c.pool_timeouts} pool timeouts' if c.pool_timeouts else ''})"
             for c in ordered if c.max_active < rec.knee]
    known = "" if any(c.waits is not None for c in ordered) else (
        "; waits not known (no reference pool), pool timeouts only")
    return (f"knee: max_active {rec.knee}, the smallest pool from which no larger one "
            f"waits or times out{known}"
            f"{'; below it: ' + ', '.join(below) if below else '; nothing below it swept'}")


def recommend(candidates: Sequence[Candidate], gateways: int, maxclients: int,
              source: str = "setting", noise: Noise | None = None, floor: int = 1,
              floor_why: str = "") -> Recommendation:
    """Judge the pools against the best by interval and A/A noise; recommend the smallest
    safe pool of the group indistinguishable from the best that is at least `floor` (the
    pool Little's law asks for with headroom, `floor_why` its arithmetic: a pool that
    merely does not wait at this machine's load has no room for a burst)."""
    ordered = sorted(candidates, key=lambda c: c.max_active)
    unsafe = {c.max_active: unsafe_reasons(c, gateways, maxclients) for c in ordered}
    eligible = [c for c in ordered if c.stable is not False]
    best = max(eligible, key=lambda c: c.rps.mean, default=None)
    rec = Recommendation(None, best.max_active if best else None,
                         round(best.rps.mean, 1) if best else 0.0, [], [],
                         {k: v for k, v in unsafe.items() if v}, None,
                         noise.as_dict() if noise else None, maxclients, source, gateways,
                         floor=floor)
    lines = rec.lines
    lines.append(f"interval per pool: {INTERVAL_METHOD}")
    lines += noise.lines() if noise else ["A/A noise: not measured (one pool swept, or "
                                          "--no-aa): a pool is slower on its interval alone"]
    rec.knee = knee([c.max_active for c in ordered],
                    {c.max_active for c in ordered if not c.pool_timeouts and not c.waits})
    if best is None:
        lines += [f"max_active {c.max_active}: {_ci(c.rps)}: unstable: ignored"
                  for c in ordered]
        lines.append(knee_line(ordered, rec))
        lines.append("no pool size qualifies: every pool was unstable")
        return rec
    if not best.rps.measured:
        lines.append("one repeat per pool: no interval, so no pool is called slower "
                     "(use --repeat 3 or more)")
    lines.append(f"best: max_active {best.max_active}, {_ci(best.rps)}")
    for c in ordered:
        if c.stable is False:
            lines.append(f"max_active {c.max_active}: {_ci(c.rps)}: unstable: ignored")
            continue
        is_slower = c is not best and slower(c.rps, best.rps, noise)
        (rec.slower if is_slower else rec.group).append(c.max_active)
        gap = gap_pct(c.rps, best.rps)
        why = (f"upper {c.rps.high:.1f} < best's lower {best.rps.low:.1f}"
               if c.rps.high < best.rps.low else
               f"upper {c.rps.high:.1f} >= best's lower {best.rps.low:.1f}")
        band = f", gap {gap:.2f}% {'>' if noise and gap > noise.pct else '<='} noise " \
               f"{noise.pct:.2f}%" if noise else ""
        verdict = "slower" if is_slower else (
            "the best" if c is best else "indistinguishable from the best")
        safety = "; ".join(unsafe[c.max_active]) or "safe"
        lines.append(f"max_active {c.max_active}: {_ci(c.rps)}; {why}{band}: {verdict}; "
                     f"{safety}")
    safe_group = [m for m in rec.group if not unsafe[m]]
    lines.append(f"indistinguishable from the best: max_active "
                 f"{', '.join(map(str, rec.group))}; safe among them: "
                 f"{', '.join(map(str, safe_group)) or 'none'}")
    lines.append(f"Redis maxclients {maxclients} ({source}); worst case per node "
                 f"= (pools x gateways + pump pool) x max_active")
    lines.append(knee_line(ordered, rec))
    if not safe_group:
        lines.append("no pool size qualifies: lower the pool or raise maxclients")
        return rec
    if floor > 1:
        lines.append(f"headroom: {floor_why} -> at least max_active {floor}")
    held = [m for m in safe_group if m >= floor]
    if not held:
        lines.append(f"no safe pool of the group reaches max_active {floor}: sweep larger "
                     "pools (--max-active)")
        return rec
    rec.max_active = held[0]
    lines.append(f"recommended optimisation_max_active = {rec.max_active}: the smallest "
                 "safe pool indistinguishable from the best"
                 + (f" and at least the headroom pool {floor}" if floor > 1 else ""))
    return rec


def _ci(i: Interval) -> str:
    if not i.measured:
        return f"{i.mean:.1f} req/s (1 repeat)"
    return f"{i.mean:.1f} req/s [{i.low:.1f}, {i.high:.1f}] (n={i.n})"
