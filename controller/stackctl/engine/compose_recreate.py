"""Recreate a Compose stack's gateway(s) and pump with another environment (a sweep
point, or the stack's own settings back): re-render (the renderer reads the overrides
file), recreate only those services (extra gateways removed), wait until their own
checks pass and the gateway says Redis pass, check the environment."""

from __future__ import annotations

from collections.abc import Mapping

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.context import StackContext
from stackctl.context.render import render_stack
from stackctl.errors import ToolError

RECREATE_TIMEOUT_S = 180.0
HELLO_TIMEOUT_S = 60.0


def recreate_env(ctx: StackContext, want: Mapping[str, Mapping[str, str | None]]
                 ) -> dict[str, str]:
    """Re-render, recreate gateway(s) and pump, wait until they are healthy and the
    gateway's Redis passes; the gateway's environment for the names in `want["gateway"]`
    (ToolError when a service's value differs; None: must be unset)."""
    engine = ctx.engine
    render_stack(ctx)
    services = [*engine.gateway_services(), "pump"]
    engine.recreate(services, remove_orphans=True)
    engine.wait_running(RECREATE_TIMEOUT_S, "gateway and pump", services)
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        wait_redis_pass(gw, HELLO_TIMEOUT_S)
    for service, names in want.items():
        env = engine.service_env(service)
        wrong = {k: env.get(k, "") for k, v in names.items()
                 if (k in env if v is None else env.get(k) != v)}
        if wrong:
            raise ToolError(f"{service} did not take the environment: {wrong}")
    env = engine.service_env("gateway")
    return {k: env.get(k, "") for k in want.get("gateway", {})}
