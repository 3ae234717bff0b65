"""Swarm render: the Redis and Tyk files and the stack file (content-named secrets and
configs) into the state directory."""

from __future__ import annotations

from stackctl.context import StackContext


class SwarmRender:
    """`swarm.render.render_swarm`, with the bootstrap's API definition baked into the
    gateway's configs (every gateway task must serve it; the gateway API would write it
    into one task's file system only)."""

    name = "render"

    def run(self, ctx: StackContext) -> str:
        from stackctl.steps.bootstrap import API_ID, smoke_api
        from stackctl.swarm.render import render_swarm

        groups = ctx.results.swarm.groups if ctx.results.swarm else None
        done, _files = render_swarm(ctx, {f"{API_ID}.json": smoke_api()}, groups)
        changed = ctx.results.swarm.changed if ctx.results.swarm else ()
        note = ("; unchanged since the last up" if done.unchanged
                else f"; changed: {', '.join(changed) or 'none'}")
        return f"stack file and {done.files} Tyk files in {done.directory}{note}"
