"""The scenario's target, chosen by its live role in CLUSTER NODES (not by its name:
after a drill the primaries are other nodes than the ones `up` made)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from stackctl.cluster.readiness import BAD_FLAGS, ClusterNode
from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.engine.base import Engine, refuse
from stackctl.errors import ToolError
from stackctl.model import RedisNode

GATEWAY = "gateway"
"""The published gateway service."""
PUMP = "pump"


def _healthy(node: ClusterNode) -> bool:
    return node.link == "connected" and not node.flags & BAD_FLAGS


def _service(addr: str, nodes: Sequence[RedisNode]) -> str:
    """The node's service by its address in the views: its pinned `ip:port` (compose)
    or its `name:port` (views asked by name, swarm)."""
    pinned = {f"{n.ip}:{n.port}": n.name for n in nodes}
    by_addr = {**pinned, **{n.addr: n.name for n in nodes}}
    if addr not in by_addr:
        raise ToolError(f"cluster node {addr} is not one of this stack's nodes "
                        f"({', '.join(sorted(pinned))})")
    return by_addr[addr]


def _order(addr: str) -> tuple[tuple[int, str], ...]:
    """Sort key of an address, numbers by value: `172.31.1.11:6379` or `redis-2:6379`."""
    parts = re.split(r"(\d+)", addr)
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in parts if p)


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
    ordered = sorted(view, key=lambda n: _order(n.addr))
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


def service_of(addr: str, nodes: Sequence[RedisNode]) -> str:
    """The service at `addr` (as `_service`), or `addr` itself when it is none of them."""
    try:
        return _service(addr, nodes)
    except ToolError:
        return addr


def primaries(view: Sequence[ClusterNode], nodes: Sequence[RedisNode]) -> list[str]:
    """The services of the healthy primaries serving slots in `view`, sorted (the
    topology the drill found, and the one it leaves)."""
    return sorted((service_of(n.addr, nodes) for n in view
                   if n.primary and n.slot_count and _healthy(n)), key=_order)


def acted_on(scenario: Scenario, target: Target) -> str:
    """The service whose container the scenario's fault acts on ("" for a whole
    service)."""
    if scenario.acts_on == "service":
        return ""
    return target.replica_service if scenario.acts_on == "replica" else target.service


def refuse_here(engine: Engine, scenario: Scenario, target: Target) -> None:
    """ConfigError (exit 2, nothing touched) when the engine cannot run `scenario` on
    `target` (swarm: its task runs on another node)."""
    setting = f"scenario {scenario.name!r}"
    refuse(engine, f"scenario:{scenario.name}", setting)
    service = acted_on(scenario, target)
    if service:
        refuse(engine, f"fault:{service}", setting, "run stackctl on the node that runs it "
               "(a manager), or choose another scenario")
