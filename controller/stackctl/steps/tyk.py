"""Tyk components: upstream, gateway and pump started and watched until decided
(`Engine.start_tyk`). A start-up failure raises `StartupFailure` with every verdict,
which the `fallback` step picks up when the plan defers it."""

from __future__ import annotations

from stackctl.context import StackContext


class TykComponents:
    """The Tyk services running and healthy."""

    name = "tyk"

    def run(self, ctx: StackContext) -> str:
        return ctx.engine.start_tyk(ctx)
