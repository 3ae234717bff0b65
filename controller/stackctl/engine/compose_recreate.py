"""Recreate a Compose stack's gateway(s) and pump with another environment (a sweep
point, or the stack's own settings back): re-render (the renderer reads the overrides
file), recreate only those services, wait until their own healthchecks pass (run here:
Docker's come once a minute) and the gateway says Redis pass, check the environment."""

from __future__ import annotations

import time
from collections.abc import Mapping

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.context import StackContext
from stackctl.context.render import render_stack
from stackctl.errors import ToolError
from stackctl.runtime.health import probed, read_healthchecks

RECREATE_TIMEOUT_S = 180
POLL_S = 0.5
HELLO_TIMEOUT_S = 60.0


def gateway_services(ctx: StackContext) -> list[str]:
    """The gateway service names the rendered stack has (gateway, gateway-2, ...)."""
    return ["gateway", *(f"gateway-{i}" for i in range(2, ctx.model.settings.gateway.replicas
                                                         + 1))]


def wait_healthy(ctx: StackContext, services: list[str],
                 timeout: float = RECREATE_TIMEOUT_S) -> None:
    """Until every service's container runs and its own healthcheck passes; ToolError on
    an exit or after `timeout`."""
    checks = read_healthchecks(ctx.compose_file)
    deadline = time.monotonic() + timeout
    while True:
        states = probed(ctx.compose, ctx.compose.states(services), checks)
        down = [s.service for s in states if s.state not in ("running", "created")]
        if down:
            raise ToolError(f"{', '.join(down)} stopped while being recreated: "
                            "see `stackctl logs`")
        if len(states) == len(services) and all(s.health in ("healthy", "") for s in states):
            return
        if time.monotonic() >= deadline:
            late = [s.service for s in states if s.health not in ("healthy", "")]
            raise ToolError(f"{', '.join(late) or 'services'} not healthy after "
                            f"{timeout:.0f} s")
        time.sleep(POLL_S)


def recreate_env(ctx: StackContext, want: Mapping[str, Mapping[str, str | None]]
                 ) -> dict[str, str]:
    """Re-render, recreate gateway(s) and pump (extra gateways removed), wait until they
    are healthy and the gateway's Redis passes; the gateway's environment for the names
    in `want["gateway"]` (ToolError when a value differs; None: must be unset)."""
    render_stack(ctx)
    services = [*gateway_services(ctx), "pump"]
    ctx.compose.up(services, wait=False, remove_orphans=True, no_deps=True)
    wait_healthy(ctx, services)
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        wait_redis_pass(gw, HELLO_TIMEOUT_S)
    for service, names in want.items():
        env = ctx.compose.env(service)
        wrong = {k: env.get(k, "") for k, v in names.items()
                 if (k in env if v is None else env.get(k) != v)}
        if wrong:
            raise ToolError(f"{service} did not take the environment: {wrong}")
    env = ctx.compose.env("gateway")
    return {k: env.get(k, "") for k in want.get("gateway", {})}
