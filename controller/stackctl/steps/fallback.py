"""The `fallback` step (only on failure): climb REDIGOCLUSTER_SHARDCOUNT, then diagnose.

`Deferred` wraps the `tyk` and `health` steps in the plan: their start-up failure is
recorded for `Fallback` instead of ending `up`. Both run alone as well.
"""

from __future__ import annotations

from typing import Any

from stackctl.errors import StepError
from stackctl.pipeline import Step
from stackctl.steps.context import StepContext

FAILURE_KEY = "start_failure"
"""ctx.results key: the deferred failure (step, error, detections)."""


class Deferred:
    """Run `inner`; on a StepError, record it for the fallback step and carry on.
    Skips `inner` when an earlier deferred step already failed."""

    def __init__(self, inner: Step[StepContext]) -> None:
        self.inner = inner
        self.name = inner.name

    def run(self, ctx: StepContext) -> str:
        if FAILURE_KEY in ctx.results:
            return f"skipped: {ctx.results[FAILURE_KEY]['step']} failed first"
        try:
            return self.inner.run(ctx)
        except StepError as exc:
            detections = getattr(exc, "detections", [])
            ctx.results[FAILURE_KEY] = {"step": self.name, "error": str(exc),
                                        "detections": [d.as_dict() for d in detections]}
            return f"FAILED, the fallback step follows: {exc}"


class Fallback:
    """Nothing to do after a clean start; else the ladder, and a diagnosis when no rung
    helps. Raises StepError naming the most likely cause and its fix."""

    name = "fallback"

    def __init__(self, rung_timeout: float | None = None) -> None:
        self.rung_timeout = rung_timeout

    def run(self, ctx: StepContext) -> str:
        failure = ctx.results.get(FAILURE_KEY)
        if failure is None:
            return "not needed"
        from stackctl.fallback.ladder import climb
        from stackctl.fallback.report import ladder_lines
        from stackctl.fallback.stack_runner import RUNG_TIMEOUT_S, StackRunner, stack_components
        from stackctl.fallback.state import (
            read_shardcount,
            rungs_after,
            write_last_report,
            write_shardcount,
        )

        releases = stack_components(ctx)
        before = read_shardcount(ctx.state_dir)
        runner = StackRunner(ctx, releases, self.rung_timeout or RUNG_TIMEOUT_S)
        report = climb(runner, releases, rungs_after(before))
        saved: dict[str, Any] = {"trigger": failure, "ladder": report.as_dict()}
        ctx.results["fallback"] = saved
        if report.worked:
            from stackctl.steps.health import Health

            write_last_report(ctx.state_dir, saved)
            Health().run(ctx)
            return "; ".join(ladder_lines(report))
        write_shardcount(ctx.state_dir, before)  # keep only a rung that worked
        from stackctl.steps.render import Render

        Render().run(ctx)  # the compose file matches the state again
        return self._diagnose(ctx, saved, ladder_lines(report))

    def _diagnose(self, ctx: StepContext, saved: dict[str, Any], ladder: list[str]) -> str:
        from stackctl.diagnose.run import diagnose_stack
        from stackctl.fallback.state import write_last_report

        diagnosis = diagnose_stack(ctx)
        saved["diagnosis"] = diagnosis.as_dict()
        write_last_report(ctx.state_dir, saved)
        top = diagnosis.top
        where = f"{top.component}: " if top.component else ""
        raise StepError(self.name, f"{'; '.join(ladder)}; most likely cause: {where}"
                        f"{top.summary} ({top.evidence})", f"fix: {top.fix}")
