"""The drill's objectives: `error_window<=10s`, `recovery<=15s`, `p99_recovery<=20s`,
`lost<=0`, `failed<=100`, strictly parsed. A figure that was not measured (the cluster
never recovered within the run) misses its objective."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stackctl.errors import ConfigError

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}
METRICS = {"error_window": "time", "recovery": "time", "p99_recovery": "time",
           "lost": "count", "failed": "count"}
"""metric -> kind: times in seconds (`s` or `ms`), counts without a unit."""
_UNITS = {"time": {"s": 1.0, "ms": 0.001}, "count": {"": 1.0}}
_SYNTAX = re.compile(r"^(?P<metric>[a-z0-9_]+)(?P<op><=|>=|<|>)"
                     r"(?P<num>\d+(?:\.\d+)?)(?P<unit>ms|s)?$")
EXAMPLE = "e.g. error_window<=10s, recovery<=15s, p99_recovery<=20s, lost<=0"


@dataclass(frozen=True)
class DrillSlo:
    """One objective: `metric op threshold` (seconds or a count)."""

    text: str
    metric: str
    op: str
    threshold: float

    def holds(self, value: float | None) -> bool:
        """Whether a measured value meets it (None: not measured, a miss)."""
        return value is not None and _OPS[self.op](value, self.threshold)


def _bad(text: str, why: str) -> ConfigError:
    return ConfigError(f"--slo {text!r}", why, EXAMPLE)


def parse_slo(text: str) -> DrillSlo:
    """Parse one expression; ConfigError (exit 2) naming it when it is not valid."""
    match = _SYNTAX.match(text.strip().replace(" ", ""))
    if match is None:
        raise _bad(text, "not METRIC OP NUMBER[UNIT]")
    metric, unit = match["metric"], match["unit"] or ""
    kind = METRICS.get(metric)
    if kind is None:
        raise _bad(text, f"unknown metric {metric!r} (known: {', '.join(METRICS)})")
    scale = _UNITS[kind].get(unit)
    if scale is None:
        wanted = "'s' or 'ms'" if kind == "time" else "no unit"
        raise _bad(text, f"{metric} takes {wanted}, not {unit or 'no unit'!r}")
    return DrillSlo(text.strip(), metric, match["op"], float(match["num"]) * scale)


def parse_slos(texts: list[str] | tuple[str, ...]) -> tuple[DrillSlo, ...]:
    """Parse every expression (the first bad one raises)."""
    return tuple(parse_slo(t) for t in texts)


def evaluate(slos: tuple[DrillSlo, ...], figures: Mapping[str, float | None]
             ) -> list[dict[str, Any]]:
    """Each objective against one run's figures (JSON rows)."""
    return [{"slo": s.text, "metric": s.metric, "value": figures.get(s.metric),
             "passed": s.holds(figures.get(s.metric))} for s in slos]
