"""An existing cluster's topology from any one node (`CLUSTER SHARDS` on 7.x, `CLUSTER
NODES` on 6.2 and as fallback) in one shape. A node's `endpoint` is what a client is told
to dial (a hostname when the cluster prefers them), so the addresses rendered for Tyk are
the ones go-redis reaches after its first CLUSTER SLOTS."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from stackctl.cluster.readiness import parse_nodes, slot_count

SHARDS_FROM = (7, 0)
"""CLUSTER SHARDS exists from Redis 7.0."""


@dataclass(frozen=True)
class TopologyNode:
    """One node as the cluster describes it."""

    id: str
    endpoint: str  # the host clients are told to dial: a name or an IP
    port: int
    ip: str = ""
    hostname: str = ""
    role: str = "primary"  # primary | replica
    primary_id: str = ""  # replicas: their primary's ID
    slots: int = 0
    health: str = "online"  # online | failed | loading (NODES: from the fail flags)

    @property
    def addr(self) -> str:
        """`endpoint:port`."""
        return f"{self.endpoint}:{self.port}"


@dataclass(frozen=True)
class Topology:
    """Every node of the cluster, as one node answered."""

    nodes: tuple[TopologyNode, ...]
    source: str  # the address that answered
    command: str  # CLUSTER SHARDS | CLUSTER NODES
    version: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def primaries(self) -> list[TopologyNode]:
        """Nodes serving as primaries."""
        return [n for n in self.nodes if n.role == "primary"]

    @property
    def replicas(self) -> list[TopologyNode]:
        """Nodes serving as replicas."""
        return [n for n in self.nodes if n.role == "replica"]

    @property
    def addrs(self) -> list[str]:
        """Every node's `endpoint:port`, primaries first (what each Tyk component lists)."""
        return [n.addr for n in (*self.primaries, *self.replicas)]

    def as_dict(self) -> dict[str, Any]:
        """JSON view (also the recorded form, model.TOPOLOGY_FILE)."""
        return {"source": self.source, "command": self.command, "version": self.version,
                "primaries": len(self.primaries), "replicas": len(self.replicas),
                "nodes": [{**asdict(n), "addr": n.addr} for n in
                          (*self.primaries, *self.replicas)]}


def version_tuple(version: str) -> tuple[int, ...]:
    """`7.0.15` -> (7, 0, 15); unparsable parts are 0."""
    out: list[int] = []
    for part in version.split(".")[:3]:
        digits = "".join(c for c in part if c.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


def parse_shards(text: str, tls: bool) -> list[TopologyNode]:
    """CLUSTER SHARDS as redis-cli prints it to a pipe (one element per line: `slots`, bounds,
    `nodes`, each node's pairs from `id`); with `tls` a node's `tls-port` is its port."""
    tokens = [t.strip() for t in text.replace("\r", "").split("\n")]
    nodes: list[TopologyNode] = []
    i, n = 0, len(tokens)
    while i < n:
        if tokens[i] != "slots":
            i += 1
            continue
        i += 1
        bounds: list[int] = []
        while i < n and tokens[i] != "nodes":
            if tokens[i].lstrip("-").isdigit():
                bounds.append(int(tokens[i]))
            i += 1
        i += 1
        slots = sum(high - low + 1 for low, high in zip(bounds[::2], bounds[1::2], strict=False))
        members: list[dict[str, str]] = []
        while i + 1 < n and tokens[i] != "slots":
            key, value = tokens[i], tokens[i + 1]
            if key == "id":
                members.append({})
            if members:
                members[-1][key] = value
            i += 2
        primary = next((m.get("id", "") for m in members if m.get("role") == "master"), "")
        for m in members:
            port = ((m.get("tls-port") if tls else m.get("port"))
                    or m.get("port") or m.get("tls-port") or "0")
            role = "primary" if m.get("role") == "master" else "replica"
            nodes.append(TopologyNode(
                id=m.get("id", ""), endpoint=m.get("endpoint") or m.get("ip", ""),
                port=int(port or 0), ip=m.get("ip", ""), hostname=m.get("hostname", ""),
                role=role, primary_id="" if role == "primary" else primary,
                slots=slots if role == "primary" else 0, health=m.get("health", "")))
    return nodes


def from_cluster_nodes(text: str) -> list[TopologyNode]:
    """CLUSTER NODES lines as topology nodes; the endpoint is the hostname if announced, else IP."""
    out: list[TopologyNode] = []
    for node in parse_nodes(text):
        ip, _, port = node.addr.rpartition(":")
        health = "failed" if node.flags & {"fail", "fail?"} else "online"
        out.append(TopologyNode(
            id=node.id, endpoint=node.hostname or ip, port=int(port or 0), ip=ip,
            hostname=node.hostname, role="primary" if node.primary else "replica",
            primary_id=node.master_id, slots=slot_count(node.slots), health=health))
    return out


def build_topology(source: str, version: str, shards: str, nodes: str,
                   tls: bool) -> Topology:
    """The topology from one node's answers: CLUSTER SHARDS where it parsed (7.x), else NODES."""
    notes: list[str] = []
    if version_tuple(version) >= SHARDS_FROM:
        found = parse_shards(shards, tls)
        if found:
            return Topology(tuple(found), source, "CLUSTER SHARDS", version)
        notes.append("CLUSTER SHARDS gave nothing: read CLUSTER NODES instead")
    return Topology(tuple(from_cluster_nodes(nodes)), source, "CLUSTER NODES", version,
                    tuple(notes))
