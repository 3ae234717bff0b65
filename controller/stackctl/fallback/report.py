"""Human lines for a ladder report."""

from __future__ import annotations

from stackctl.fallback.ladder import LadderReport
from stackctl.rung import SHARDCOUNT_ENV


def ladder_lines(report: LadderReport) -> list[str]:
    """The note, every attempt, then the verdict."""
    lines = [f"note: {report.note}"]
    lines += [f"attempt {i}: {a.line()}" for i, a in enumerate(report.attempts, start=1)]
    if report.chosen is not None:
        lines.append(f"{SHARDCOUNT_ENV}={report.chosen} works and is remembered for the next up")
    else:
        lines.append(f"no {SHARDCOUNT_ENV} rung helped")
    return lines
