"""Record: remember the applied inputs, so the next `up` can skip what did not change."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.context.render import record_applied


class Record:
    """`context.render.record_applied`, as a step."""

    name = "record"

    def run(self, ctx: StackContext) -> str:
        record_applied(ctx)
        return "state saved"
