"""Putting the stack back after a scenario: the scenario's own undo (start the killed
node, unpause the paused one; on swarm Swarm's new task awaited), then the stack whole
again (every long-running service running, Swarm's new tasks included, then
cluster-ready.sh in the gate), the target's role and the primaries read back, and the
gateway reporting Redis `pass`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.cluster.wait import wait_ready
from stackctl.drill.observe import read_views
from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.drill.target import primaries
from stackctl.errors import ToolError

if TYPE_CHECKING:
    from stackctl.context import StackContext
    from stackctl.drill.observe import View
    from stackctl.runtime.docker_cli import Exec

STEP = "drill-restore"
READY_TIMEOUT_S = 120.0
HEALTH_TIMEOUT_S = 60.0


def role_of(views: list[View], addr: str) -> str:
    """The node at `addr` as it sees itself in `views`: primary | replica | unknown."""
    for view in views:
        me = next((n for n in view.nodes if n.addr == addr), None)
        if me is not None and view.addr == addr:
            return "primary" if me.primary else "replica"
    return "unknown"


def wait_whole(ctx: StackContext, gate: Exec, timeout: float) -> float:
    """Seconds until the stack is whole again after a scenario: every long-running
    service running (swarm: Swarm's new tasks included), then cluster-ready.sh in the
    gate (none for an external cluster: only client-side faults, it was not touched)."""
    started = time.monotonic()
    ctx.engine.wait_running(timeout, what="drill restore")
    if not ctx.cluster.unsupported("gate"):
        wait_ready(gate, max(1.0, timeout - (time.monotonic() - started)), step=STEP)
    return time.monotonic() - started


def restore(ctx: StackContext, gate: Exec, scenario: Scenario, target: Target
            ) -> dict[str, Any]:
    """Undo `scenario` on `target` and wait until the stack is healthy again; what it
    took. Raises (StepError, GatewayError) when the stack does not come back."""
    started = time.monotonic()
    problems: list[str] = []
    try:
        scenario.restore(ctx.engine, target)
    except ToolError as exc:  # e.g. the fault never took: the wait below decides
        problems.append(str(exc))
    ready_s = wait_whole(ctx, gate, READY_TIMEOUT_S)
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        wait_redis_pass(gw, HEALTH_TIMEOUT_S)
    views = [] if ctx.cluster.unsupported("gate") else read_views(gate)
    role = role_of(views, target.addr) if target.addr else target.role
    after = primaries(views[0].nodes, ctx.model.nodes) if views else []
    return {"seconds": round(time.monotonic() - started, 2),
            "cluster_ready_s": round(ready_s, 2), "target_role_after": role,
            "primaries_after": after, "healthy": True, "problems": problems}
