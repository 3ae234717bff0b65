"""Tyk components: upstream, gateway and pump, waited on through their healthchecks."""

from __future__ import annotations

from stackctl.steps.context import StepContext

START_TIMEOUT_S = 120


class TykComponents:
    """`compose up --wait` on the Tyk services."""

    name = "tyk"

    def run(self, ctx: StepContext) -> str:
        if ctx.results.get("unchanged"):
            return "unchanged: nothing recreated"
        from stackctl.stack_compose import TYK_SERVICES

        ctx.compose.up(list(TYK_SERVICES), wait=True, timeout=START_TIMEOUT_S)
        return ", ".join(TYK_SERVICES) + " healthy"
