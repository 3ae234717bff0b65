"""Deploy: the whole stack created or updated at once where the engine does so (swarm:
`docker stack deploy`; Compose starts each part in its own step)."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.pipeline import Outcome


class Deploy:
    """`Engine.roll_out`."""

    name = "deploy"

    def run(self, ctx: StackContext) -> str | Outcome:
        return ctx.engine.roll_out(ctx)
