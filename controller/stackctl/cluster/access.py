"""`ClusterAccess`: the one way the actions reach the stack's Redis Cluster, run by stackctl
(`cluster.managed`) or existing (`cluster.external_access`); `cluster.open.open_access` is
the only place that looks at `redis.mode`. What a mode cannot do is not a branch in the
caller: `unsupported(feature)` gives the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from stackctl.cluster.readiness import parse_info
from stackctl.cluster.status import ClusterStatus, split_report
from stackctl.runtime.docker_cli import Exec, ExecResult

Feature = Literal["start", "pki", "redis-faults", "redis-config", "gate", "own-data"]
"""What only one mode has:
- start: stackctl starts the cluster (`up`'s redis-cluster step);
- pki: stackctl issues the cluster's certificates;
- redis-faults: the drill may kill, stop, pause or fail over a node;
- redis-config: `--vary` may set the nodes' own configuration;
- gate: the cluster can be asked through the gate service (views, the pump's backlog);
- own-data: what the stack writes may stay (its own cluster, kept across `down`, emptied
  by `down --volumes`); else the stack deletes what it wrote when it is done with it."""


@dataclass(frozen=True)
class NodeClients:
    """One node's connected clients and its maxclients (0: not read)."""

    node: str
    connected: int
    maxclients: int


def to_int(text: str) -> int:
    """A counter read from Redis; 0 when it is not a number."""
    return int(text) if text.strip().isdigit() else 0


def parse_clients(node: str, text: str) -> NodeClients:
    """`## clients` (INFO clients) and `## maxclients` (CONFIG GET) -> NodeClients."""
    parts = split_report(text)
    info = parse_info(parts.get("clients", ""))
    lines = [ln.strip() for ln in parts.get("maxclients", "").splitlines() if ln.strip()]
    return NodeClients(node, to_int(info.get("connected_clients", "0")),
                       to_int(lines[1]) if len(lines) >= 2 else 0)


@dataclass(frozen=True)
class NodeKeys:
    """One node's role and the key names matching what was asked."""

    node: str
    role: str  # master | slave | "" (unreachable)
    keys: frozenset[str]
    error: str = ""


def parse_keys(node: str, text: str, error: str = "") -> NodeKeys:
    """`## role` and `## keys` -> NodeKeys."""
    parts = split_report(text)
    role = parts.get("role", "").strip().splitlines()[:1]
    first = role[0].strip() if role else ""
    keys = frozenset(k.strip() for k in parts.get("keys", "").splitlines() if k.strip())
    if first in ("master", "slave"):
        return NodeKeys(node, first, keys)
    return NodeKeys(node, "", keys, error or f"no answer to ROLE ({first[:60] or 'nothing'})")


class NodeRunner(Protocol):
    """Where the managed cluster's commands run: the engine (`engine.base.Engine` has both)."""

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """Run `command` against `node` (in its container, or another with STACKCTL_TARGET set)."""

    def gate(self) -> AbstractContextManager[Exec]:
        """Where the cluster is asked as a whole (cluster-ready.sh), open for a block."""


class ClusterAccess(Protocol):
    """The stack's Redis Cluster, managed or external."""

    def unsupported(self, feature: Feature) -> str:
        """Why `feature` is not available here, in words; "" when it is."""

    def nodes(self) -> list[str]:
        """Every node by the name `cli` takes (managed: redis-N; external: host:port)."""

    def cli(self, node: str, args: Sequence[str]) -> ExecResult:
        """One redis-cli call on `node` as the stack's user, password (never in argv) and TLS."""

    def wait_ready(self, timeout: float, step: str) -> float:
        """Seconds until the cluster is ready (a `StepError` after `timeout`)."""

    def status(self) -> ClusterStatus:
        """Every node's figures, the summary and the readiness problems."""

    def clients(self) -> list[NodeClients]:
        """Every node's connected clients and maxclients."""

    def probe_keys(self, patterns: Sequence[str]) -> list[NodeKeys]:
        """Every node's role and the key names matching `patterns` (SCAN, never KEYS)."""

    def forget(self, names: Sequence[str]) -> list[str]:
        """Delete the keys whose names hold one of `names` (a run's sessions, counters, quotas) on a
        cluster not the stack's own; the problems met."""

    def leave(self) -> str:
        """`down`, after the containers went: what was done to the cluster ("": nothing)."""
