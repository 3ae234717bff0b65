"""The stack's health as `up` requires it: /hello reports Redis `pass` and the pump passes
its own check, run now (Docker's checks come once a minute; swarm's pump has none)."""

from __future__ import annotations

import time

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.context.results import GatewayHealth
from stackctl.context.stack import StackContext
from stackctl.errors import ToolError

HEALTH_TIMEOUT_S = 60.0
POLL_S = 1.0


def check_health(ctx: StackContext, timeout: float = HEALTH_TIMEOUT_S) -> GatewayHealth:
    """Poll /hello until Redis passes, then the pump's check; `ctx.results.gateway` (ToolError)."""
    deadline = time.monotonic() + timeout
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        hello = wait_redis_pass(gw, timeout)
    while True:
        pump = [r for r in ctx.engine.services(probe=True) if r.service == "pump"]
        if pump and pump[0].health == "healthy":
            break
        if time.monotonic() >= deadline:
            raise ToolError("pump is not healthy; see `stackctl logs pump`")
        time.sleep(POLL_S)
    ctx.results.gateway = GatewayHealth(str(hello.get("version", "")))
    return ctx.results.gateway
