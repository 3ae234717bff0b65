"""Health: the gateway's /hello reports Redis `pass`; the pump's health says ok."""

from __future__ import annotations

import time

from stackctl.errors import StepError, ToolError
from stackctl.steps.context import StepContext

HEALTH_TIMEOUT_S = 60.0
POLL_S = 0.5


class Health:
    """Poll /hello from the host until Redis passes; read the pump's container health."""

    name = "health"

    def run(self, ctx: StepContext) -> str:
        from stackctl.clients.gateway import GatewayClient, redis_health

        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no answer"
        with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
            while time.monotonic() < deadline:
                try:
                    hello = gw.hello()
                except ToolError as exc:
                    last = str(exc)
                else:
                    last = f"redis {redis_health(hello)}"
                    if redis_health(hello) == "pass":
                        ctx.results["gateway"] = {"version": hello.get("version", ""),
                                                  "redis": "pass"}
                        break
                time.sleep(POLL_S)
            else:
                raise StepError(self.name, f"gateway /hello never reported Redis pass ({last})",
                                "see `stackctl logs gateway`")
        pump = [s for s in ctx.compose.ps() if s.service == "pump"]
        if not pump or pump[0].health != "healthy":
            raise StepError(self.name, "pump is not healthy", "see `stackctl logs pump`")
        return f"gateway {ctx.results['gateway']['version']} redis pass; pump ok"
