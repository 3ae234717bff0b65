"""Swarm health: the gateway's /hello (through the proxy or the published port) reports
Redis `pass`; the pump's task runs, so its healthcheck passed."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.errors import StepError, ToolError

HEALTH_TIMEOUT_S = 60.0


class SwarmHealth:
    """/hello until Redis passes."""

    name = "health"

    def run(self, ctx: StackContext) -> str:
        from stackctl.clients.gateway import GatewayClient, wait_redis_pass
        from stackctl.context import GatewayHealth
        from stackctl.swarm.wait import progress

        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                hello = wait_redis_pass(gw, HEALTH_TIMEOUT_S)
            pump = progress(ctx.stack.tasks(), {"pump": 1}).running["pump"]
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl logs gateway pump`") from None
        if pump < 1:
            raise StepError(self.name, "the pump's task is not running",
                            "see `stackctl status` and `stackctl logs pump`")
        ctx.results.gateway = GatewayHealth(str(hello.get("version", "")))
        return f"gateway {ctx.results.gateway.version} redis pass; pump running"
