"""Parsers of CLUSTER INFO, CLUSTER NODES and INFO, and the readiness rule of
stack/redis/cluster-ready.sh, applied to text: from every node's view PONG,
`cluster_state:ok`, all 16384 slots, every node known and linked with no
fail/pfail/noaddr/handshake flag, the expected primaries with their replicas, and
replicas `master_link_status:up`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

CLUSTER_SLOTS = 16384
BAD_FLAGS = frozenset({"fail", "fail?", "noaddr", "handshake"})


def parse_info(text: str) -> dict[str, str]:
    """`key:value` lines of CLUSTER INFO or INFO (section headers and blanks skipped)."""
    out: dict[str, str] = {}
    for line in text.replace("\r", "").splitlines():
        if not line or line.startswith("#") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


def slot_count(ranges: Sequence[str]) -> int:
    """How many slots `0-5460 5461 [...migrating...]` entries cover (migrations skipped)."""
    total = 0
    for item in ranges:
        if item.startswith("["):
            continue
        low, _, high = item.partition("-")
        total += (int(high) if high else int(low)) - int(low) + 1
    return total


@dataclass(frozen=True)
class ClusterNode:
    """One line of CLUSTER NODES."""

    id: str
    addr: str  # ip:port (the bus port and announced hostname split off)
    hostname: str
    flags: frozenset[str]
    master_id: str  # "" for primaries
    link: str  # connected | disconnected
    slots: tuple[str, ...] = ()

    @property
    def primary(self) -> bool:
        """Flagged master."""
        return "master" in self.flags

    @property
    def myself(self) -> bool:
        """The line describing the node that answered."""
        return "myself" in self.flags

    @property
    def slot_count(self) -> int:
        """Slots this node serves."""
        return slot_count(self.slots)


def parse_nodes(text: str) -> list[ClusterNode]:
    """Parse CLUSTER NODES output; malformed lines are skipped."""
    nodes: list[ClusterNode] = []
    for line in text.replace("\r", "").splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        address, _, hostname = parts[1].partition(",")
        nodes.append(ClusterNode(
            id=parts[0], addr=address.partition("@")[0], hostname=hostname,
            flags=frozenset(parts[2].split(",")),
            master_id="" if parts[3] == "-" else parts[3],
            link=parts[7], slots=tuple(parts[8:]),
        ))
    return nodes


@dataclass(frozen=True)
class NodeView:
    """What one node said about itself and the cluster (empty texts when unreachable)."""

    addr: str
    ping: str = ""
    cluster_info: dict[str, str] = field(default_factory=dict)
    nodes: list[ClusterNode] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)  # INFO replication (+ memory)

    @property
    def reachable(self) -> bool:
        """Answered PONG."""
        return self.ping == "PONG"


def view_problems(view: NodeView, total: int, shards: int, replicas: int) -> list[str]:
    """Why the cluster is not ready as seen from one node (empty when it is)."""
    who = view.addr
    if not view.reachable:
        return [f"{who}: ping: {view.ping or 'no answer'}"]
    problems: list[str] = []
    state = view.cluster_info.get("cluster_state", "?")
    if state != "ok":
        problems.append(f"{who}: cluster_state:{state}")
    slots = view.cluster_info.get("cluster_slots_ok", "?")
    if slots != str(CLUSTER_SLOTS):
        problems.append(f"{who}: cluster_slots_ok:{slots}")
    bad = [f"{n.addr}({','.join(sorted(n.flags & BAD_FLAGS) or [n.link])})"
           for n in view.nodes if n.flags & BAD_FLAGS or n.link != "connected"]
    if bad:
        problems.append(f"{who} sees {' '.join(bad)}")
    if len(view.nodes) != total:
        problems.append(f"{who} knows {len(view.nodes)} of {total} nodes")
    primaries = [n for n in view.nodes if n.primary]
    serving = [n for n in primaries if n.slot_count]
    if len(primaries) != shards or len(serving) != shards:
        problems.append(f"{who} sees {len(primaries)} primaries ({len(serving)} with slots),"
                        f" want {shards}")
    followers = Counter(n.master_id for n in view.nodes if not n.primary)
    for p in primaries:
        if followers[p.id] != replicas:
            problems.append(f"{who}: {p.addr} has {followers[p.id]} replicas, want {replicas}")
    if view.info.get("role") == "slave" and view.info.get("master_link_status") != "up":
        problems.append(f"{who}: master_link_status:{view.info.get('master_link_status', '?')}")
    return problems


def readiness_problems(views: Sequence[NodeView], shards: int, replicas: int) -> list[str]:
    """Every reason the cluster is not ready; an empty list means ready."""
    return [p for v in views for p in view_problems(v, len(views), shards, replicas)]
