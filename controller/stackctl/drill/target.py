"""The scenario's target, chosen by its live role in CLUSTER NODES (not by its name:
after a drill the primaries are other nodes than the ones `up` made)."""

from __future__ import annotations

from collections.abc import Sequence

from stackctl.cluster.readiness import BAD_FLAGS, ClusterNode
from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.errors import ToolError
from stackctl.model import RedisNode

GATEWAY = "gateway"
"""The published gateway service."""
PUMP = "pump"


def _healthy(node: ClusterNode) -> bool:
    return node.link == "connected" and not node.flags & BAD_FLAGS


def _service(addr: str, nodes: Sequence[RedisNode]) -> str:
    by_addr = {f"{n.ip}:{n.port}": n.name for n in nodes}
    if addr not in by_addr:
        raise ToolError(f"cluster node {addr} is not one of this stack's nodes "
                        f"({', '.join(sorted(by_addr))})")
    return by_addr[addr]


def choose(scenario: Scenario, view: Sequence[ClusterNode], nodes: Sequence[RedisNode]
           ) -> Target:
    """The target of `scenario` in one node's CLUSTER NODES `view`: the first primary
    (by address) serving slots that has a healthy replica (the one that would take
    over; any primary with slots on a cluster without replicas), or the first healthy
    replica; the published gateway for a gateway scenario, the pump for a pump one.
    ToolError when the view has no such node."""
    if scenario.role == "gateway":
        return Target(GATEWAY, "gateway")
    if scenario.role == "pump":
        return Target(PUMP, "pump")
    ordered = sorted(view, key=lambda n: tuple(int(p) for p in
                                               n.addr.replace(":", ".").split(".")))
    healthy = [n for n in ordered if _healthy(n)]
    if scenario.role == "replica":
        replica = next((n for n in healthy if not n.primary and n.master_id), None)
        if replica is None:
            raise ToolError(f"{scenario.name}: the cluster has no healthy replica")
        return Target(_service(replica.addr, nodes), "replica", replica.addr, replica.id)
    primaries = [n for n in healthy if n.primary and n.slot_count]
    if not primaries:
        raise ToolError(f"{scenario.name}: the cluster has no healthy primary with slots")
    for p in primaries:
        replica = next((n for n in healthy if not n.primary and n.master_id == p.id), None)
        if replica is not None:
            return Target(_service(p.addr, nodes), "primary", p.addr, p.id,
                          _service(replica.addr, nodes), replica.addr)
    if scenario.name == "failover":
        raise ToolError("failover: no primary has a healthy replica to take over")
    p = primaries[0]
    return Target(_service(p.addr, nodes), "primary", p.addr, p.id)
