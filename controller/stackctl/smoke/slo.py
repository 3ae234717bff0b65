"""Service-level objectives: `p99<50ms`, `success>=99.9%`, `rps>=1000`, strictly parsed."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stackctl.errors import ConfigError

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
_UNITS = {"latency": {"ms": 1.0, "s": 1000.0}, "percent": {"%": 1.0}, "rate": {"": 1.0}}
METRICS = {"p50": "latency", "p95": "latency", "p99": "latency", "success": "percent",
           "rps": "rate"}
"""metric -> kind; latencies compare in milliseconds, success in percent."""
_SYNTAX = re.compile(r"^(?P<metric>[a-z0-9]+)(?P<op><=|>=|<|>)"
                     r"(?P<num>\d+(?:\.\d+)?)(?P<unit>ms|s|%)?$")
EXAMPLE = "e.g. p99<50ms, success>=99.9%, rps>=1000"
DEFAULT_P99 = "p99<=250ms"
"""The latency objective when no --slo names p99: what a laptop stack meets at the
default rate with room to spare (loopback p99 is a few ms); a miss means queueing."""


@dataclass(frozen=True)
class Slo:
    """One objective: `metric op threshold` (threshold in the metric's base unit)."""

    text: str
    metric: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        """Whether `value` (ms, %, or req/s) meets the objective."""
        return _OPS[self.op](value, self.threshold)


def _bad(text: str, why: str) -> ConfigError:
    return ConfigError(f"--slo {text!r}", why, EXAMPLE)


def parse_slo(text: str) -> Slo:
    """Parse one expression; ConfigError (exit 2) naming it when it is not valid."""
    match = _SYNTAX.match(text.strip())
    if match is None:
        raise _bad(text, "not METRIC OP NUMBER[UNIT]")
    metric, op, unit = match["metric"], match["op"], match["unit"] or ""
    kind = METRICS.get(metric)
    if kind is None:
        raise _bad(text, f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    scale = _UNITS[kind].get(unit)
    if scale is None:
        wanted = " or ".join(repr(u) for u in _UNITS[kind] if u) or "no unit"
        raise _bad(text, f"{metric} takes {wanted}, not {unit or 'no unit'!r}")
    value = float(match["num"]) * scale
    if kind == "percent" and value > 100:
        raise _bad(text, "a percentage cannot exceed 100")
    return Slo(text.strip(), metric, op, value)


def parse_slos(texts: list[str] | tuple[str, ...]) -> tuple[Slo, ...]:
    """Parse every expression (the first bad one raises)."""
    return tuple(parse_slo(t) for t in texts)


def with_default(slos: tuple[Slo, ...]) -> tuple[Slo, ...]:
    """The user's objectives, plus DEFAULT_P99 unless one of them judges p99."""
    return slos if any(s.metric == "p99" for s in slos) else (*slos, parse_slo(DEFAULT_P99))


@dataclass(frozen=True)
class SloResult:
    """An objective against the measured value."""

    slo: Slo
    value: float
    passed: bool

    def as_dict(self) -> dict[str, object]:
        """JSON view."""
        return {"slo": self.slo.text, "value": round(self.value, 3), "passed": self.passed}


def evaluate(slos: tuple[Slo, ...], figures: Mapping[str, float]) -> list[SloResult]:
    """Each objective against `figures` (p50/p95/p99 in ms, success in %, rps)."""
    return [SloResult(s, figures[s.metric], s.holds(figures[s.metric])) for s in slos]
