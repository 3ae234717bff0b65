"""Run a list of steps in order, timing and reporting each."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from stackctl.errors import StackctlError, StepError
from stackctl.pipeline.progress import Progress, StepEvent

C = TypeVar("C", contravariant=True)
Ctx = TypeVar("Ctx")


class Step(Protocol[C]):
    """One step: a short name, and `run` returning a one-line detail."""

    name: str

    def run(self, ctx: C) -> str:
        """Do the step's work; raise StackctlError on failure."""


@dataclass(frozen=True)
class StepResult:
    """How one step went."""

    name: str
    status: str
    seconds: float
    detail: str


def run_steps(steps: Sequence[Step[Ctx]], ctx: Ctx, progress: Progress) -> list[StepResult]:
    """Run `steps` in order; stop at the first failure, re-raised as StepError."""
    results: list[StepResult] = []
    for step in steps:
        progress.emit(StepEvent(step.name, "start"))
        started = time.monotonic()
        try:
            detail = step.run(ctx)
        except StepError as exc:
            elapsed = time.monotonic() - started
            progress.emit(StepEvent(step.name, "failed", elapsed, str(exc)))
            raise
        except StackctlError as exc:
            elapsed = time.monotonic() - started
            progress.emit(StepEvent(step.name, "failed", elapsed, str(exc)))
            raise StepError(step.name, str(exc)) from exc
        elapsed = time.monotonic() - started
        progress.emit(StepEvent(step.name, "ok", elapsed, detail))
        results.append(StepResult(step.name, "ok", round(elapsed, 3), detail))
    return results
