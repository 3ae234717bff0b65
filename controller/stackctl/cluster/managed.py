"""The cluster stackctl runs (`redis.mode = managed`): commands through the engine's node
exec with stack/redis/lib.sh's redis-cli helper; readiness is the gate's rule."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from stackctl.cluster.access import (
    Feature,
    NodeClients,
    NodeKeys,
    NodeRunner,
    parse_clients,
    parse_keys,
)
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.cluster.status import ClusterStatus, cluster_status
from stackctl.cluster.wait import wait_ready
from stackctl.meter.commandstats import TARGET_ENV, NodeExec
from stackctl.model import StackModel
from stackctl.runtime.docker_cli import ExecResult

SELF = f'self="${{{TARGET_ENV}:-127.0.0.1:${{STACKCTL_PORT:-6379}}}}"'
"""The node a script talks to: STACKCTL_TARGET, else the container's own."""
CLI_SCRIPT = f'. {SCRIPTS_MOUNT}/lib.sh\n{SELF}\nrcli "$self" "$@"\n'
CLIENTS_SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
{SELF}
echo "## clients"; rcli "$self" info clients
echo "## maxclients"; rcli "$self" config get maxclients
"""
PATTERNS_ENV = "STACKCTL_PATTERNS"
KEYS_SCRIPT = f""". {SCRIPTS_MOUNT}/lib.sh
set -f  # the patterns hold globs: no pathname expansion
{SELF}
echo "## role"; rcli "$self" role | head -n 1
echo "## keys"
for p in ${PATTERNS_ENV}; do rcli "$self" --scan --pattern "$p"; done
"""
KEYS_TIMEOUT_S = "10"
"""Seconds one redis-cli call may take in the key probe (a busy machine answers slowly)."""

T = TypeVar("T")


def each_node(names: Sequence[str], read: Callable[[str], T]) -> list[T]:
    """`read` for every node, in parallel (one `docker exec` each)."""
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(names)))) as pool:
        return list(pool.map(read, names))


def read_clients(run: NodeExec, node: str) -> NodeClients:
    """One node's clients and maxclients through `run`."""
    return parse_clients(node, run(node, ["sh", "-c", CLIENTS_SCRIPT], {}).stdout)


def read_keys(run: NodeExec, node: str, patterns: Sequence[str]) -> NodeKeys:
    """One node's role and the key names matching `patterns` through `run`."""
    result = run(node, ["sh", "-c", KEYS_SCRIPT],
                 {"STACKCTL_CLI_TIMEOUT": KEYS_TIMEOUT_S, PATTERNS_ENV: " ".join(patterns)})
    return parse_keys(node, result.stdout, "" if result.ok else result.last_error())


@dataclass(frozen=True)
class ManagedAccess:
    """The stack's own cluster, reached through the engine (`runner`)."""

    model: StackModel
    runner: NodeRunner

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """`command` against the node (a `meter.commandstats.NodeExec`)."""
        return self.runner.exec_node(node, command, env)

    def unsupported(self, feature: Feature) -> str:
        """Everything is there."""
        return ""

    def nodes(self) -> list[str]:
        """redis-1 ... redis-N."""
        return [n.name for n in self.model.nodes]

    def cli(self, node: str, args: Sequence[str]) -> ExecResult:
        """redis-cli in the node's container (lib.sh's rcli)."""
        return self.exec_node(node, ["sh", "-c", CLI_SCRIPT, "sh", *args], {})

    def wait_ready(self, timeout: float, step: str) -> float:
        """The gate's rule (cluster-ready.sh), run until it passes."""
        with self.runner.gate() as gate:
            return wait_ready(gate, timeout, step=step)

    def status(self) -> ClusterStatus:
        """Every node's report (node-report.sh)."""
        return cluster_status(self.exec_node, self.model)

    def clients(self) -> list[NodeClients]:
        """Every node, in parallel."""
        return each_node(self.nodes(), lambda n: read_clients(self.exec_node, n))

    def probe_keys(self, patterns: Sequence[str]) -> list[NodeKeys]:
        """Every node, in parallel."""
        return each_node(self.nodes(), lambda n: read_keys(self.exec_node, n, patterns))

    def forget(self, names: Sequence[str]) -> list[str]:
        """Nothing: the cluster is the stack's own (`down --volumes` empties it)."""
        return []

    def leave(self) -> str:
        """Nothing more: the nodes went with the stack's containers."""
        return ""
