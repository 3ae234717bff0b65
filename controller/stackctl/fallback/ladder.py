"""The REDIGOCLUSTER_SHARDCOUNT ladder: set the next rung on every Redis-connected
component, recreate them, wait; stop at the first rung that works. `climb` drives any
`RungRunner` and reports every attempt."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

from stackctl.rung import SHARDCOUNT_ENV
from stackctl.tyk.detect import Detection
from stackctl.tyk.lookup import reads_standalone, standalone_env
from stackctl.tyk.schema import Component


class RungRunner(Protocol):
    """Applies a rung to the components and reports how they start."""

    def apply(self, shardcount: int) -> None:
        """Set the variable to `shardcount` on every component and recreate them."""

    def wait(self) -> list[Detection]:
        """Each component's verdict after the recreate."""


@dataclass(frozen=True)
class Attempt:
    """One rung tried."""

    rung: int
    components: tuple[str, ...]
    outcome: Literal["works", "fails"]
    seconds: float
    detail: str

    def line(self) -> str:
        """`REDIGOCLUSTER_SHARDCOUNT=128 on gateway, pump: fails in 12.3s (...)`."""
        return (f"{SHARDCOUNT_ENV}={self.rung} on {', '.join(self.components)}: "
                f"{self.outcome} in {self.seconds:.1f}s ({self.detail})")


@dataclass
class LadderReport:
    """Every attempt, the rung that worked (if any) and whether the variable can help."""

    components: tuple[str, ...]
    releases: dict[str, str]
    readers: list[str]  # components whose running release reads the variable
    note: str
    attempts: list[Attempt] = field(default_factory=list)
    chosen: int | None = None

    @property
    def worked(self) -> bool:
        """A rung made every component start."""
        return self.chosen is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"variable": SHARDCOUNT_ENV, "components": list(self.components),
                "releases": self.releases, "readers": self.readers, "note": self.note,
                "chosen": self.chosen, "worked": self.worked,
                "attempts": [asdict(a) for a in self.attempts]}


def variable_note(releases: Mapping[Component, str]) -> tuple[list[str], str]:
    """Which components read the variable, and a sentence saying so."""
    readers: list[str] = [c for c, r in releases.items()
                          if reads_standalone(SHARDCOUNT_ENV, c, r)]
    running = ", ".join(f"{c} {r}" for c, r in releases.items())
    entry = standalone_env(SHARDCOUNT_ENV)
    spans = ", ".join(f"{c} {span.describe()}" for c, span in entry.readers) if entry else ""
    if not readers:
        return readers, (f"{SHARDCOUNT_ENV} cannot help here: only {spans} read it, and this "
                         f"stack runs {running}; it is set anyway, then the cause is diagnosed")
    if len(readers) < len(releases):
        return readers, (f"only {', '.join(readers)} of {running} read {SHARDCOUNT_ENV} "
                         f"(read by {spans})")
    return readers, f"{running} read {SHARDCOUNT_ENV}"


def _summary(detections: Sequence[Detection]) -> str:
    failed = [d for d in detections if not d.ok and d.outcome != "pending"]
    return "; ".join(f"{d.component} {d.detail}" for d in failed) if failed else "all healthy"


def climb(runner: RungRunner, releases: Mapping[Component, str], rungs: Sequence[int],
          clock: Callable[[], float] = time.monotonic) -> LadderReport:
    """Try each rung in order on all components at once; stop at the first that works."""
    components = tuple(releases)
    readers, note = variable_note(releases)
    report = LadderReport(components, {str(c): r for c, r in releases.items()}, readers, note)
    for rung in rungs:
        started = clock()
        runner.apply(rung)
        detections = runner.wait()
        works = all(d.ok for d in detections)
        report.attempts.append(Attempt(rung, components, "works" if works else "fails",
                                       round(clock() - started, 1), _summary(detections)))
        if works:
            report.chosen = rung
            break
    return report


def ladder_lines(report: LadderReport) -> list[str]:
    """Human lines for a ladder report: the note, every attempt, then the verdict."""
    lines = [f"note: {report.note}"]
    lines += [f"attempt {i}: {a.line()}" for i, a in enumerate(report.attempts, start=1)]
    if report.chosen is not None:
        lines.append(f"{SHARDCOUNT_ENV}={report.chosen} works and is remembered for the next up")
    else:
        lines.append(f"no {SHARDCOUNT_ENV} rung helped")
    return lines
