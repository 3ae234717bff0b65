"""What the sweep reads from the stack besides the load: Redis clients per node and the
live maxclients (the stack's `ClusterAccess`; on swarm, through the local task
containers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stackctl.cluster.access import NodeClients
from stackctl.cluster.managed import each_node, read_clients
from stackctl.model import StackModel
from stackctl.runtime.compose import ExecResult
from stackctl.runtime.swarm import Stack

__all__ = ["NodeClients", "swarm_clients"]


def swarm_clients(stack: Stack, model: StackModel) -> list[NodeClients]:
    """engine = swarm: the nodes whose task runs on this machine, read through their
    containers in parallel (a node on another machine is left out: no `docker exec`
    reaches it)."""
    def read(name: str) -> NodeClients | None:
        container = stack.local_container(name)
        if container is None:
            return None

        def run(node: str, command: Sequence[str], env: Mapping[str, str]) -> ExecResult:
            return stack.exec(container, command, env)
        return read_clients(run, name)

    return [c for c in each_node([n.name for n in model.nodes], read) if c is not None]
