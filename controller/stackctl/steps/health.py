"""Health: the gateway's /hello reports Redis `pass`; the pump's healthcheck passes."""

from __future__ import annotations

from stackctl.errors import StepError, ToolError
from stackctl.steps.context import StepContext

HEALTH_TIMEOUT_S = 60.0


class Health:
    """Poll /hello from the host until Redis passes; the pump's container health (its
    healthcheck run now while Docker still says `starting`)."""

    name = "health"

    def run(self, ctx: StepContext) -> str:
        from stackctl.clients.gateway import GatewayClient, wait_redis_pass
        from stackctl.runtime.health import probed, read_healthchecks

        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                hello = wait_redis_pass(gw, HEALTH_TIMEOUT_S)
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl logs gateway`") from None
        ctx.results["gateway"] = {"version": hello.get("version", ""), "redis": "pass"}
        # Unchanged stack: the services preflight read are current; otherwise read again.
        # Docker says `starting` for the first minute: the pump's own test decides then.
        states = ctx.services(fresh=not ctx.results.get("unchanged"))
        pump = probed(ctx.compose, [s for s in states if s.service == "pump"],
                      read_healthchecks(ctx.compose_file))
        if not pump or pump[0].health != "healthy":
            raise StepError(self.name, "pump is not healthy", "see `stackctl logs pump`")
        return f"gateway {ctx.results['gateway']['version']} redis pass; pump ok"
