"""Run a list of steps in order, timing and reporting each."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from stackctl.errors import StackctlError, StepError
from stackctl.pipeline.progress import Progress, StepEvent

Done = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class Outcome:
    """A step's result other than a detail: `skipped`, or `failed` (deferred; the run goes on)."""

    status: Done
    detail: str


def skipped(detail: str) -> Outcome:
    """The step does not apply here."""
    return Outcome("skipped", detail)


def deferred_failure(detail: str) -> Outcome:
    """The step failed; a later step deals with it."""
    return Outcome("failed", detail)

C = TypeVar("C", contravariant=True)
Ctx = TypeVar("Ctx")


class Step(Protocol[C]):
    """One step: a short name, and `run` returning a one-line detail (ok) or an Outcome."""

    name: str

    def run(self, ctx: C) -> str | Outcome:
        """Do the step's work; raise StackctlError on failure."""


@dataclass(frozen=True)
class StepResult:
    """How one step went."""

    name: str
    status: Done
    seconds: float
    detail: str


def run_steps(steps: Sequence[Step[Ctx]], ctx: Ctx, progress: Progress,
              results: list[StepResult] | None = None) -> list[StepResult]:
    """Run `steps` in order, each result into `results`; the first failure as StepError."""
    results = [] if results is None else results
    for step in steps:
        progress.emit(StepEvent(step.name, "start"))
        started = time.monotonic()
        try:
            done = step.run(ctx)
        except StackctlError as exc:
            elapsed = time.monotonic() - started
            progress.emit(StepEvent(step.name, "failed", elapsed, str(exc)))
            results.append(StepResult(step.name, "failed", round(elapsed, 3), str(exc)))
            if isinstance(exc, StepError):
                raise
            wrapped = StepError(step.name, str(exc))
            wrapped.exit_code = exc.exit_code  # bad input (a ConfigError) still exits 2
            raise wrapped from exc
        elapsed = time.monotonic() - started
        outcome = done if isinstance(done, Outcome) else Outcome("ok", done)
        progress.emit(StepEvent(step.name, outcome.status, elapsed, outcome.detail))
        results.append(StepResult(step.name, outcome.status, round(elapsed, 3), outcome.detail))
    return results
