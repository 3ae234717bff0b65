"""Put a point on the running stack: write its environment, re-render, recreate only the
gateway(s) and the pump, wait for health; and put the stack back afterwards."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from stackctl.errors import ToolError
from stackctl.sweep.overrides import clear_overrides, point_env, write_overrides
from stackctl.sweep.points import Point

if TYPE_CHECKING:
    from stackctl.context import StackContext

RECREATE_TIMEOUT_S = 180
POLL_S = 0.5
HELLO_TIMEOUT_S = 60.0


def gateway_services(ctx: StackContext) -> list[str]:
    """The gateway service names the rendered stack has (gateway, gateway-2, ...)."""
    return ["gateway", *(f"gateway-{i}" for i in range(2, ctx.model.settings.gateway.replicas
                                                         + 1))]


def gateway_bases(ctx: StackContext) -> list[str]:
    """Every gateway at its front-network address, as the host reaches it (no published
    port's proxy in the path)."""
    from stackctl.stack_compose import GATEWAY_PORT

    return [f"http://{ctx.model.front_ip('gateway', i)}:{GATEWAY_PORT}"
            for i in range(ctx.model.settings.gateway.replicas)]


def wait_healthy(ctx: StackContext, services: list[str],
                 timeout: float = RECREATE_TIMEOUT_S) -> None:
    """Until every service's container runs and its own healthcheck passes (run here:
    Docker's checks come once a minute); ToolError on an exit or after `timeout`."""
    from stackctl.runtime.health import probed, read_healthchecks

    checks = read_healthchecks(ctx.compose_file)
    deadline = time.monotonic() + timeout
    while True:
        states = probed(ctx.compose, ctx.compose.states(services), checks)
        down = [s.service for s in states if s.state not in ("running", "created")]
        if down:
            raise ToolError(f"{', '.join(down)} stopped while the sweep recreated them: "
                            "see `stackctl logs`")
        if len(states) == len(services) and all(s.health in ("healthy", "") for s in states):
            return
        if time.monotonic() >= deadline:
            late = [s.service for s in states if s.health not in ("healthy", "")]
            raise ToolError(f"{', '.join(late) or 'services'} not healthy after "
                            f"{timeout:.0f} s")
        time.sleep(POLL_S)


def recreate(ctx: StackContext, remove_orphans: bool = False) -> None:
    """Re-render (the renderer reads the overrides file), recreate gateway(s) and pump,
    and wait until they are healthy."""
    from stackctl.context.render import render_stack

    render_stack(ctx)
    services = [*gateway_services(ctx), "pump"]
    ctx.compose.up(services, wait=False, remove_orphans=remove_orphans, no_deps=True)
    wait_healthy(ctx, services)


def wait_redis_pass(ctx: StackContext, timeout: float = HELLO_TIMEOUT_S) -> str:
    """Poll the published gateway's /hello until Redis passes; its version."""
    from stackctl.clients import gateway

    with gateway.GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        return str(gateway.wait_redis_pass(gw, timeout).get("version", ""))


def applied_env(ctx: StackContext, names: list[str]) -> dict[str, str]:
    """The variables as the running gateway container has them ('' when unset), from
    `docker inspect` (the gateway image has no printenv)."""
    env = ctx.compose.env("gateway")
    return {name: env.get(name, "") for name in names}


def apply_point(ctx: StackContext, point: Point) -> dict[str, str]:
    """Apply `point`; returns the gateway's env as applied (checked against the ask)."""
    env = point_env(point)
    write_overrides(ctx.state_dir, env)
    recreate(ctx)
    wait_redis_pass(ctx)
    seen = applied_env(ctx, list(env["gateway"]))
    wrong = {k: v for k, v in seen.items() if v != env["gateway"][k]}
    if wrong:
        raise ToolError(f"gateway did not take the point's environment: {wrong}")
    return seen


def restore(ctx: StackContext) -> None:
    """Drop the overrides, re-render with the stack's own settings, recreate gateway and
    pump and remove the extra gateways."""
    clear_overrides(ctx.state_dir)
    recreate(ctx, remove_orphans=True)
