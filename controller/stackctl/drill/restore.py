"""Putting the stack back after a scenario: the scenario's own undo (start the killed
node, unpause the paused one; on swarm Swarm's new task awaited), then the stack whole
again (the runtime's rule: cluster-ready.sh in the gate; on swarm every service's tasks
running first), the target's role and the primaries read back, and the gateway reporting
Redis `pass`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.errors import ToolError

if TYPE_CHECKING:
    from stackctl.context import StackContext
    from stackctl.drill.backend import Backend
    from stackctl.drill.observe import View

READY_TIMEOUT_S = 120.0
HEALTH_TIMEOUT_S = 60.0


def role_of(views: list[View], addr: str) -> str:
    """The node at `addr` as it sees itself in `views`: primary | replica | unknown."""
    for view in views:
        me = next((n for n in view.nodes if n.addr == addr), None)
        if me is not None and view.addr == addr:
            return "primary" if me.primary else "replica"
    return "unknown"


def restore(ctx: StackContext, backend: Backend, scenario: Scenario, target: Target
            ) -> dict[str, Any]:
    """Undo `scenario` on `target` and wait until the stack is healthy again; what it
    took. Raises (StepError, GatewayError) when the stack does not come back."""
    from stackctl.clients.gateway import GatewayClient, wait_redis_pass
    from stackctl.drill.observe import read_views
    from stackctl.drill.target import primaries

    started = time.monotonic()
    problems: list[str] = []
    try:
        scenario.restore(backend.faults, target)
    except ToolError as exc:  # e.g. the fault never took: the wait below decides
        problems.append(str(exc))
    # no gate (external): only client-side faults, the cluster was not touched
    ready_s = backend.wait_ready(READY_TIMEOUT_S)
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        wait_redis_pass(gw, HEALTH_TIMEOUT_S)
    views = [] if ctx.cluster.unsupported("gate") else read_views(backend.gate)
    role = role_of(views, target.addr) if target.addr else target.role
    after = primaries(views[0].nodes, ctx.model.nodes) if views else []
    return {"seconds": round(time.monotonic() - started, 2),
            "cluster_ready_s": round(ready_s, 2), "target_role_after": role,
            "primaries_after": after, "healthy": True, "problems": problems}
