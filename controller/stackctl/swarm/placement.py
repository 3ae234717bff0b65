"""Placement from node labels (`swarm.placement = labels`): how many `stackctl.redis`
label groups the swarm's nodes form, and whether that keeps a shard apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stackctl.errors import ConfigError
from stackctl.names import NODE_LABEL
from stackctl.runtime.swarm import SwarmNode


@dataclass(frozen=True)
class Placement:
    """The label groups found (None: no constraints) and a warning, if any."""

    groups: int | None
    warning: str = ""


def label_groups(nodes: Sequence[SwarmNode]) -> list[int]:
    """The distinct `stackctl.redis` values on active, ready nodes, sorted."""
    values: set[int] = set()
    for node in nodes:
        raw = node.labels.get(NODE_LABEL)
        if raw is None or node.availability != "active" or node.state != "ready":
            continue
        if not raw.isdigit():
            raise ConfigError(f"node label {NODE_LABEL}={raw} on {node.hostname}",
                              "is not a number",
                              f"relabel it: `docker node update --label-add {NODE_LABEL}=0 "
                              f"{node.hostname}` (values 0, 1, 2, ...)")
        values.add(int(raw))
    return sorted(values)


def decide(mode: str, nodes: Sequence[SwarmNode], replicas: int) -> Placement:
    """`spread`: no constraints. `labels`: values 0..M-1 must all be present (ConfigError, exit
    2); with M <= replicas a primary may share a machine with a replica, which is said."""
    if mode != "labels":
        return Placement(None)
    values = label_groups(nodes)
    if not values:
        first = nodes[0].hostname if nodes else "<node>"
        raise ConfigError("swarm.placement = labels",
                          f"no active node carries the label {NODE_LABEL}",
                          f"label the nodes 0, 1, 2, ...: `docker node update --label-add "
                          f"{NODE_LABEL}=0 {first}`, or set swarm.placement = spread")
    want = list(range(len(values)))
    if values != want:
        missing = sorted(set(range(max(values) + 1)) - set(values))
        raise ConfigError("swarm.placement = labels",
                          f"label {NODE_LABEL} values {values} leave out {missing}",
                          f"label a node with each of 0..{max(values)} "
                          f"(`docker node update --label-add {NODE_LABEL}=N <node>`)")
    groups = len(values)
    warning = ""
    if groups <= replicas:
        warning = (f"{groups} {NODE_LABEL} label group(s) for 1 + {replicas} copies of each "
                   "shard: a primary and a replica may share a machine")
    return Placement(groups, warning)
