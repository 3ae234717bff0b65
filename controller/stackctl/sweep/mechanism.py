"""The mechanism behind a point's throughput, per Redis node: Tyk's commands per second and
µs per call (INFO commandstats, read before and after the closed loop) and the gateways'
connections (CLIENT LIST, grouped by client address), through `ctx.cluster` on either
engine and either Redis mode. Replicas are skipped (their counts are their primaries'
writes replayed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import median
from typing import Any, TypeVar

from stackctl.cluster.access import ClusterAccess
from stackctl.meter.commandstats import CMDSTAT, is_probe, is_replica

LOOPBACK = ("127.", "::1")
"""Client addresses of the node's own probes and healthchecks (never Tyk)."""
OWN_COMMAND = "client|list"
NOT_POOL = frozenset("SMP")
"""CLIENT LIST flags of connections that are no pool's: replica (S), primary (M) links and
Pub/Sub subscribers (P: the gateway's notifications channel)."""
T = TypeVar("T")


@dataclass(frozen=True)
class NodeCalls:
    """One primary's Tyk calls and the µs Redis spent in them, since it started."""

    calls: int
    usec: int


def parse_calls(text: str) -> NodeCalls | None:
    """`INFO replication commandstats` -> Tyk's calls and µs (stackctl's probes left out);
    None for a replica or an answer without commandstats."""
    if is_replica(text):
        return None
    calls = usec = 0
    seen = False
    for line in text.replace("\r", "").splitlines():
        if not line.startswith(CMDSTAT) or ":" not in line:
            continue
        name, _, stats = line[len(CMDSTAT):].partition(":")
        fields = dict(part.partition("=")[::2] for part in stats.split(","))
        seen = True
        if is_probe(name.lower()):
            continue
        if fields.get("calls", "").isdigit() and fields.get("usec", "").isdigit():
            calls += int(fields["calls"])
            usec += int(fields["usec"])
    return NodeCalls(calls, usec) if seen else None


def parse_client_list(text: str, exclude: frozenset[str] = frozenset()) -> dict[str, int]:
    """`CLIENT LIST` -> connections by client IP: pool connections only (no replica or
    primary links, no Pub/Sub subscriber: go-redis keeps those outside the pool; no
    loopback probes, not this very call, none from `exclude`)."""
    out: dict[str, int] = {}
    for line in text.replace("\r", "").splitlines():
        fields = dict(part.partition("=")[::2] for part in line.split())
        addr, flags = fields.get("addr", ""), fields.get("flags", "")
        if not addr or set(flags) & NOT_POOL or fields.get("cmd") == OWN_COMMAND:
            continue
        ip = addr.rpartition(":")[0].strip("[]")
        if ip.startswith(LOOPBACK) or ip in exclude:
            continue
        out[ip] = out.get(ip, 0) + 1
    return out


def read_calls(cluster: ClusterAccess) -> dict[str, NodeCalls]:
    """Every primary's calls and µs, read in parallel (a node that does not answer is
    left out)."""
    def one(node: str) -> tuple[str, NodeCalls | None]:
        result = cluster.cli(node, ["info", "replication", "commandstats"])
        return node, parse_calls(result.stdout) if result.ok else None

    return {n: c for n, c in _each(cluster.nodes(), one) if c is not None}


def read_connections(cluster: ClusterAccess, exclude: frozenset[str]
                     ) -> dict[str, dict[str, int]]:
    """Every node's Tyk connections by client IP (`exclude`: the pump's addresses)."""
    def one(node: str) -> tuple[str, dict[str, int] | None]:
        result = cluster.cli(node, ["client", "list"])
        return node, parse_client_list(result.stdout, exclude) if result.ok else None

    return {n: c for n, c in _each(cluster.nodes(), one) if c is not None}


def _each(nodes: Sequence[str], read: Callable[[str], tuple[str, T]]
             ) -> list[tuple[str, T]]:
    with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        return list(pool.map(read, nodes))


def node_figures(before: Mapping[str, NodeCalls], after: Mapping[str, NodeCalls],
                 seconds: float, requests: int,
                 connections: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, Any]]:
    """Per primary over one run: commands/s, commands per request, µs per call, the
    gateways' connections (total and by address) and Little's law's commands in flight
    inside Redis (commands/s x µs per call)."""
    out: dict[str, dict[str, Any]] = {}
    for node, end in sorted(after.items()):
        start = before.get(node)
        if start is None or seconds <= 0:
            continue
        calls, usec = end.calls - start.calls, end.usec - start.usec
        rate = calls / seconds
        per_call = usec / calls if calls else 0.0
        by_addr = dict(connections.get(node, {}))
        out[node] = {"commands_per_s": round(rate, 1),
                     "commands_per_request": round(calls / requests, 4) if requests else None,
                     "usec_per_call": round(per_call, 2),
                     "in_redis": round(rate * per_call / 1e6, 4),
                     "gateway_connections": sum(by_addr.values()),
                     "connections_by_address": by_addr}
    return out


def point_nodes(repeats: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """A point's per-node mechanism over its repeats: medians of the rates, the peak of
    the connections."""
    per: dict[str, list[Mapping[str, Any]]] = {}
    for r in repeats:
        for node, fig in (r.get("nodes") or {}).items():
            per.setdefault(node, []).append(fig)
    out: dict[str, dict[str, float]] = {}
    for node, figs in sorted(per.items()):
        out[node] = {
            "commands_per_s": _median([float(f["commands_per_s"]) for f in figs]),
            "commands_per_request": _median([float(f["commands_per_request"]) for f in figs
                                             if f.get("commands_per_request") is not None]),
            "usec_per_call": _median([float(f["usec_per_call"]) for f in figs]),
            "in_redis": _median([float(f["in_redis"]) for f in figs]),
            "gateway_connections": max(int(f["gateway_connections"]) for f in figs)}
    return out


def _median(values: Sequence[float]) -> float:
    return float(median(values)) if values else 0.0
