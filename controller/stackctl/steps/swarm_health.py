"""Swarm health: the gateway's /hello (through the proxy or the published port) reports
Redis `pass`; the pump's task answers its /health (`swarm.health`)."""

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
        from stackctl.images.select import stack_images
        from stackctl.swarm.health import wait_healthy

        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                hello = wait_redis_pass(gw, HEALTH_TIMEOUT_S)
            wait_healthy(ctx.stack, stack_images(ctx.model.settings)["redis"], {"pump": 1},
                         HEALTH_TIMEOUT_S)
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl status` and "
                            "`stackctl logs gateway pump`") from None
        ctx.results.gateway = GatewayHealth(str(hello.get("version", "")))
        return f"gateway {ctx.results.gateway.version} redis pass; pump healthy"
