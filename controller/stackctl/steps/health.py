"""Health: the gateway's /hello reports Redis `pass`; the pump passes its own check."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.context.health import check_health
from stackctl.errors import StepError, ToolError


class Health:
    """`context.health.check_health`, as a step."""

    name = "health"

    def run(self, ctx: StackContext) -> str:
        try:
            health = check_health(ctx)
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl status` and "
                            "`stackctl logs gateway pump`") from None
        return f"gateway {health.version} redis pass; pump healthy"
