"""The stack's health as `up` requires it: the gateway's /hello reports Redis `pass`,
and the pump's own healthcheck passes (run now while Docker still says `starting`)."""

from __future__ import annotations

from stackctl.context.results import GatewayHealth
from stackctl.context.stack import StackContext
from stackctl.errors import ToolError

HEALTH_TIMEOUT_S = 60.0


def check_health(ctx: StackContext, timeout: float = HEALTH_TIMEOUT_S) -> GatewayHealth:
    """Poll /hello until Redis passes, then the pump; sets and returns
    `ctx.results.gateway`. ToolError naming what is not healthy."""
    from stackctl.clients.gateway import GatewayClient, wait_redis_pass
    from stackctl.runtime.health import probed, read_healthchecks

    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        hello = wait_redis_pass(gw, timeout)
    # Unchanged stack: the services preflight read are current; otherwise read again.
    states = ctx.services(fresh=not ctx.results.unchanged)
    pump = probed(ctx.compose, [s for s in states if s.service == "pump"],
                  read_healthchecks(ctx.compose_file))
    if not pump or pump[0].health != "healthy":
        raise ToolError("pump is not healthy; see `stackctl logs pump`")
    ctx.results.gateway = GatewayHealth(str(hello.get("version", "")))
    return ctx.results.gateway
