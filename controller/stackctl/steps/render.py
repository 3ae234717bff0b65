"""Render: Redis configs, Tyk configs and the compose file into the state directory."""

from __future__ import annotations

from stackctl.context import StackContext


class Render:
    """Write every rendered file atomically (`context.render`)."""

    name = "render"

    def run(self, ctx: StackContext) -> str:
        from stackctl.context.render import render_stack

        done = render_stack(ctx)
        note = "; unchanged since the last up" if done.unchanged else ""
        return f"{done.files} files in {done.directory}{note}"
