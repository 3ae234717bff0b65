"""Render: every file the stack runs from, into the state directory (the engine's: the
compose file, or the swarm stack file with its secrets and configs)."""

from __future__ import annotations

from stackctl.context import StackContext


class Render:
    """Write every rendered file atomically (`Engine.render`)."""

    name = "render"

    def run(self, ctx: StackContext) -> str:
        return ctx.engine.render(ctx)
