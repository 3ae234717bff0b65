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
        import json
        from dataclasses import replace

        from stackctl.swarm.run import SwarmRun
        from stackctl.swarm.stackfile import INIT_SERVICE, JOB_FILE, STACK_FILE

        run = ctx.results.swarm or SwarmRun()
        before = frozenset(t.id for t in ctx.stack.tasks())
        ctx.stack.deploy(ctx.state_dir / STACK_FILE)
        job = INIT_SERVICE in run.changed or INIT_SERVICE not in {
            s.name for s in ctx.stack.services()}
        if job:  # the job re-runs only when its spec changed; it is idempotent
            ctx.stack.run_job(json.loads((ctx.state_dir / JOB_FILE).read_text()))
        ctx.results.swarm = replace(run, before=before)
        return (f"stack {ctx.stack.name} deployed ({len(run.changed)} service(s) changed"
                + (f"; {INIT_SERVICE} job started)" if job else ")"))
