"""Putting the stack back after a scenario: the scenario's own undo (start the killed
node, unpause the paused one), then the cluster ready by cluster-ready.sh in the gate,
the target's role read back, and the gateway reporting Redis `pass`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.errors import ToolError

if TYPE_CHECKING:
    from stackctl.context import StackContext

READY_TIMEOUT_S = 120.0
HEALTH_TIMEOUT_S = 60.0
STEP = "drill-restore"


def role_of(ctx: StackContext, addr: str) -> str:
    """The node at `addr` as the cluster sees it now: primary | replica | unknown."""
    from stackctl.drill.observe import read_views

    for view in read_views(ctx.compose):
        me = next((n for n in view.nodes if n.addr == addr), None)
        if me is not None and view.addr == addr:
            return "primary" if me.primary else "replica"
    return "unknown"


def restore(ctx: StackContext, scenario: Scenario, target: Target) -> dict[str, Any]:
    """Undo `scenario` on `target` and wait until the stack is healthy again; what it
    took. Raises (StepError, GatewayError) when the stack does not come back."""
    from stackctl.clients.gateway import GatewayClient, wait_redis_pass
    from stackctl.cluster.wait import wait_ready

    started = time.monotonic()
    problems: list[str] = []
    try:
        scenario.restore(ctx.compose, target)
    except ToolError as exc:  # e.g. the fault never took: the wait below decides
        problems.append(str(exc))
    # external mode: only client-side faults, the cluster was not touched (no gate to ask)
    ready_s = 0.0 if ctx.model.external else wait_ready(ctx.compose, READY_TIMEOUT_S, step=STEP)
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        wait_redis_pass(gw, HEALTH_TIMEOUT_S)
    role = role_of(ctx, target.addr) if target.addr else target.role
    return {"seconds": round(time.monotonic() - started, 2),
            "cluster_ready_s": round(ready_s, 2), "target_role_after": role,
            "healthy": True, "problems": problems}
