"""Swarm deploy: `docker stack deploy` of the rendered stack file."""

from __future__ import annotations

from stackctl.context import StackContext


class SwarmDeploy:
    """Deploy (Swarm updates only the services whose definition changed); the tasks
    running before are remembered, so the waits below see the new ones."""

    name = "deploy"

    def run(self, ctx: StackContext) -> str:
        if ctx.results.unchanged:
            return "unchanged: nothing redeployed"
        from dataclasses import replace

        from stackctl.swarm.run import SwarmRun
        from stackctl.swarm.stackfile import STACK_FILE

        run = ctx.results.swarm or SwarmRun()
        before = frozenset(t.id for t in ctx.stack.tasks())
        ctx.stack.deploy(ctx.state_dir / STACK_FILE)
        ctx.results.swarm = replace(run, before=before)
        return f"stack {ctx.stack.name} deployed ({len(run.changed)} service(s) changed)"
