"""The `smoke` step, the short smoke at the end of `up`: a few seconds of load; every functional
check must pass (latency is reported only)."""

from __future__ import annotations

from stackctl.context import SmokeSummary, StackContext
from stackctl.errors import StepError
from stackctl.smoke.options import SmokeOptions
from stackctl.smoke.run import run_smoke

DURATION_S = 3.0
RATE = 20.0
CONNECTIONS = 4
INFORMATIVE = ("latency", "steady", "connection-reuse")
"""Reported but not fatal here: how fast a stack is depends on the machine, and a 3 s run
at 20 req/s is too short to judge a steady state; whether it works does not.
`stackctl smoke` judges speed and fidelity."""


class Smoke:
    """Run `stackctl smoke` briefly, loading the way the engine does by default; fail `up` when
    a functional check fails."""

    name = "smoke"

    def run(self, ctx: StackContext) -> str:
        report = run_smoke(ctx, SmokeOptions(duration_s=DURATION_S, connections=CONNECTIONS,
                                             rate=RATE))
        ctx.results.smoke = SmokeSummary(report.passed, report.summary(), report.as_dict())
        failed = [c for c in report.checks if not c.passed and c.name not in INFORMATIVE]
        if failed:
            raise StepError(self.name, "; ".join(f"{c.name}: {c.detail}" for c in failed[:2]),
                            "run `stackctl smoke` for the full table")
        return report.summary()
