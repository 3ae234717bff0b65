"""The `fallback` step of `up` (only on failure): climb REDIGOCLUSTER_SHARDCOUNT, then
diagnose. `Deferred` wraps the `tyk` and `health` steps so their start-up failure is
recorded for `Fallback` instead of ending `up`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from stackctl.context import FallbackOutcome, StackContext, StartFailure
from stackctl.context.health import check_health
from stackctl.context.render import render_stack
from stackctl.errors import StepError, ToolError
from stackctl.fallback.ladder import climb, ladder_lines
from stackctl.fallback.stack_runner import RUNG_TIMEOUT_S, StackRunner
from stackctl.pipeline import Outcome, Step, deferred_failure, skipped
from stackctl.rung import (
    read_shardcount,
    rungs_after,
    write_last_report,
    write_shardcount,
)
from stackctl.tyk.watch import components


class Cause(Protocol):
    """The most likely cause a diagnosis names."""

    @property
    def component(self) -> str:
        """The component it lies in ("" for the stack)."""

    @property
    def summary(self) -> str:
        """What it is."""

    @property
    def evidence(self) -> str:
        """What shows it."""

    @property
    def fix(self) -> str:
        """What to do."""


class Diagnosed(Protocol):
    """What the fallback needs of a diagnosis (`diagnose.run.Diagnosis`)."""

    @property
    def top(self) -> Cause:
        """The most likely cause."""

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""


class Deferred:
    """Run `inner`; a StepError is recorded for the fallback step (reported failed) and run on."""

    def __init__(self, inner: Step[StackContext]) -> None:
        self.inner = inner
        self.name = inner.name

    def run(self, ctx: StackContext) -> str | Outcome:
        if ctx.results.start_failure is not None:
            return skipped(f"{ctx.results.start_failure.step} failed first")
        try:
            return self.inner.run(ctx)
        except StepError as exc:
            detections = getattr(exc, "detections", [])
            ctx.results.start_failure = StartFailure(
                self.name, str(exc), tuple(d.as_dict() for d in detections))
            return deferred_failure(f"{exc}; the fallback step follows")


class Fallback:
    """The ladder after a failed start, then a diagnosis if no rung helps (StepError: its cause)."""

    name = "fallback"

    def __init__(self, diagnose: Callable[[StackContext], Diagnosed] | None = None,
                 rung_timeout: float | None = None) -> None:
        self.diagnose = diagnose
        self.rung_timeout = rung_timeout

    def run(self, ctx: StackContext) -> str | Outcome:
        failure = ctx.results.start_failure
        if failure is None:
            return skipped("not needed: the stack started")
        why = ctx.engine.unsupported("fallback")
        if why is not None:
            raise StepError(failure.step, f"{failure.error}; no fallback on engine = "
                            f"{ctx.engine.name}: {why}", "see `stackctl status` and "
                            "`stackctl logs gateway pump`")
        releases = components(ctx.compose_file, ctx.model.settings)
        before = read_shardcount(ctx.state_dir)
        runner = StackRunner(ctx, releases, self.rung_timeout or RUNG_TIMEOUT_S)
        report = climb(runner, releases, rungs_after(before))
        outcome = FallbackOutcome(failure, report.as_dict())
        if report.worked:
            write_last_report(ctx.state_dir, outcome.as_dict())
            try:
                check_health(ctx)
            except ToolError as exc:
                raise StepError(self.name, f"a rung started the stack, but: {exc}",
                                "see `stackctl logs gateway pump`") from None
            return f"recovered from the {failure.step} failure: " + "; ".join(
                ladder_lines(report))
        write_shardcount(ctx.state_dir, before)  # keep only a rung that worked
        render_stack(ctx)  # the compose file matches the state again
        return self._diagnose(ctx, outcome, ladder_lines(report))

    def _diagnose(self, ctx: StackContext, outcome: FallbackOutcome, ladder: list[str]) -> str:
        if self.diagnose is None:
            raise StepError(self.name, "; ".join(ladder), "see `stackctl doctor --stack`")
        diagnosis = self.diagnose(ctx)
        outcome = FallbackOutcome(outcome.trigger, outcome.ladder, diagnosis.as_dict())
        write_last_report(ctx.state_dir, outcome.as_dict())
        top = diagnosis.top
        where = f"{top.component}: " if top.component else ""
        raise StepError(self.name, f"{'; '.join(ladder)}; most likely cause: {where}"
                        f"{top.summary} ({top.evidence})", f"fix: {top.fix}")
