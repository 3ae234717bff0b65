"""Per-node cluster status, read through the node containers (no cluster client on the
host): role, slots, links, memory, plus a summary and the readiness verdict."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from stackctl.cluster.readiness import (
    NodeView,
    parse_info,
    parse_nodes,
    readiness_problems,
)
from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.meter.commandstats import NodeExec
from stackctl.model import RedisNode, StackModel

REPORT = ["sh", f"{SCRIPTS_MOUNT}/node-report.sh"]


@dataclass(frozen=True)
class NodeStatus:
    """One node as it reports itself."""

    name: str
    addr: str
    id: str  # cluster node ID ("" when unreachable)
    master_id: str  # replicas: their primary's ID
    reachable: bool
    role: str  # primary | replica | unknown
    slots: int
    links: str  # "connected" or "<n>/<total> connected"
    master_link: str  # replicas: up | down; primaries: ""
    memory: str  # used_memory_human
    memory_bytes: int
    error: str = ""


@dataclass(frozen=True)
class ClusterStatus:
    """The whole cluster."""

    nodes: list[NodeStatus]
    summary: dict[str, Any]
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """The readiness rule holds."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"summary": self.summary, "ready": self.ready, "problems": self.problems,
                "nodes": [asdict(n) for n in self.nodes]}


def split_report(text: str) -> dict[str, str]:
    """node-report.sh output -> {section: text}."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.replace("\r", "").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) for k, v in sections.items()}


def node_view(node: RedisNode, report: str) -> NodeView:
    """A readiness view from one node's report."""
    parts = split_report(report)
    return NodeView(
        addr=f"{node.ip}:{node.port}",
        ping=parts.get("ping", "").strip(),
        cluster_info=parse_info(parts.get("cluster info", "")),
        nodes=parse_nodes(parts.get("cluster nodes", "")),
        info=parse_info(parts.get("info", "")),
    )


def node_status(node: RedisNode, view: NodeView, error: str = "") -> NodeStatus:
    """Per-node figures from its own view."""
    myself = next((n for n in view.nodes if n.myself), None)
    role = {"master": "primary", "slave": "replica"}.get(view.info.get("role", ""), "unknown")
    connected = sum(1 for n in view.nodes if n.link == "connected")
    links = "connected" if view.nodes and connected == len(view.nodes) else (
        f"{connected}/{len(view.nodes)} connected")
    return NodeStatus(
        name=node.name, addr=view.addr, id=myself.id if myself else "",
        master_id=myself.master_id if myself else "", reachable=view.reachable, role=role,
        slots=myself.slot_count if myself else 0,
        links=links if view.reachable else "unreachable",
        master_link=view.info.get("master_link_status", "") if role == "replica" else "",
        memory=view.info.get("used_memory_human", ""),
        memory_bytes=int(view.info.get("used_memory", "0") or 0),
        error=error or ("" if view.reachable else view.ping),
    )


def summarize(model: StackModel, views: list[NodeView], nodes: list[NodeStatus]
              ) -> ClusterStatus:
    """Summary and readiness from the views."""
    redis = model.settings.redis
    answering = [v for v in views if v.reachable and v.cluster_info]
    state = answering[0].cluster_info.get("cluster_state", "?") if answering else "unreachable"
    covered = int(answering[0].cluster_info.get("cluster_slots_ok", "0")) if answering else 0
    summary = {
        "state": state,
        "slots_covered": covered,
        "primaries": sum(1 for n in nodes if n.role == "primary"),
        "replicas": sum(1 for n in nodes if n.role == "replica"),
    }
    return ClusterStatus(nodes, summary, readiness_problems(views, redis.shards, redis.replicas))


def cluster_status(run: NodeExec, model: StackModel) -> ClusterStatus:
    """Read every node's report through `run` (in parallel) and summarize."""

    def read(node: RedisNode) -> tuple[NodeView, NodeStatus]:
        result = run(node.name, REPORT, {})
        if not result.ok and "## ping" not in result.stdout:
            view = NodeView(f"{node.ip}:{node.port}", ping="")
            error = result.last_error(f"exit {result.returncode}")
            return view, node_status(node, view, error)
        view = node_view(node, result.stdout)
        return view, node_status(node, view)

    with ThreadPoolExecutor(max_workers=min(8, len(model.nodes))) as pool:
        pairs = list(pool.map(read, model.nodes))
    return summarize(model, [p[0] for p in pairs], [p[1] for p in pairs])
