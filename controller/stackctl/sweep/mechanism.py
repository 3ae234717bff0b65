"""The mechanism behind a point's throughput, per Redis node: Tyk's commands per second and
µs per call (INFO commandstats, read before and after the closed loop) and the gateways'
connections (CLIENT LIST, grouped by client address: those open, and those in use, i.e.
active at the end of the loop), through `ctx.cluster` on either engine and either Redis
mode. Replicas are skipped (their counts are their primaries' writes replayed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
ACTIVE_IDLE_S = 2.0
"""A connection is in use when CLIENT LIST's `idle` (seconds since its last command) is at
most this plus the seconds since the loop ended: it carried commands in the loop's last 2 s.
A pool that opened connections in a burst (a cold pool's first second) and left them idle
has them open, not in use: go-redis hands out its most recently used idle connection
first, so the rest age."""
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


@dataclass(frozen=True)
class Connections:
    """One node's pool connections by client IP: all open, and those in use (`idle` within
    the threshold the list was read with)."""

    opened: dict[str, int] = field(default_factory=dict)
    in_use: dict[str, int] = field(default_factory=dict)


def parse_client_list(text: str, exclude: frozenset[str] = frozenset(),
                      active_s: float = ACTIVE_IDLE_S) -> Connections:
    """`CLIENT LIST` -> connections by client IP, opened and in use (`idle` <= `active_s`;
    an entry without a readable `idle` counts as in use): pool connections only (no replica
    or primary links, no Pub/Sub subscriber: go-redis keeps those outside the pool; no
    loopback probes, not this very call, none from `exclude`)."""
    out = Connections()
    for line in text.replace("\r", "").splitlines():
        fields = dict(part.partition("=")[::2] for part in line.split())
        addr, flags = fields.get("addr", ""), fields.get("flags", "")
        if not addr or set(flags) & NOT_POOL or fields.get("cmd") == OWN_COMMAND:
            continue
        ip = addr.rpartition(":")[0].strip("[]")
        if ip.startswith(LOOPBACK) or ip in exclude:
            continue
        out.opened[ip] = out.opened.get(ip, 0) + 1
        idle = fields.get("idle", "")
        if not idle.isdigit() or int(idle) <= active_s:
            out.in_use[ip] = out.in_use.get(ip, 0) + 1
    return out


def read_calls(cluster: ClusterAccess) -> dict[str, NodeCalls]:
    """Every primary's calls and µs, read in parallel (a node that does not answer is
    left out)."""
    def one(node: str) -> tuple[str, NodeCalls | None]:
        result = cluster.cli(node, ["info", "replication", "commandstats"])
        return node, parse_calls(result.stdout) if result.ok else None

    return {n: c for n, c in _each(cluster.nodes(), one) if c is not None}


def read_connections(cluster: ClusterAccess, exclude: frozenset[str], ended: float,
                     clock: Callable[[], float] = time.time) -> dict[str, Connections]:
    """Every node's Tyk connections by client IP (`exclude`: the pump's addresses); in use:
    idle at most ACTIVE_IDLE_S plus the seconds from `ended` (the loop's end, wall clock)
    to the node's answer."""
    def one(node: str) -> tuple[str, Connections | None]:
        result = cluster.cli(node, ["client", "list"])
        lag = max(0.0, clock() - ended)
        return node, (parse_client_list(result.stdout, exclude, ACTIVE_IDLE_S + lag)
                      if result.ok else None)

    return {n: c for n, c in _each(cluster.nodes(), one) if c is not None}


def _each(nodes: Sequence[str], read: Callable[[str], tuple[str, T]]
             ) -> list[tuple[str, T]]:
    with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        return list(pool.map(read, nodes))


def node_figures(before: Mapping[str, NodeCalls], after: Mapping[str, NodeCalls],
                 seconds: float, requests: int,
                 connections: Mapping[str, Connections]) -> dict[str, dict[str, Any]]:
    """Per primary over one run: commands/s, commands per request, µs per call, the
    gateways' connections (open and in use, total and by address) and Little's law's
    commands in flight inside Redis (commands/s x µs per call)."""
    out: dict[str, dict[str, Any]] = {}
    for node, end in sorted(after.items()):
        start = before.get(node)
        if start is None or seconds <= 0:
            continue
        calls, usec = end.calls - start.calls, end.usec - start.usec
        rate = calls / seconds
        per_call = usec / calls if calls else 0.0
        conns = connections.get(node, Connections())
        out[node] = {"commands_per_s": round(rate, 1),
                     "commands_per_request": round(calls / requests, 4) if requests else None,
                     "usec_per_call": round(per_call, 2),
                     "in_redis": round(rate * per_call / 1e6, 4),
                     "gateway_connections": sum(conns.opened.values()),
                     "connections_by_address": dict(conns.opened),
                     "in_use_connections": sum(conns.in_use.values()),
                     "in_use_by_address": dict(conns.in_use)}
    return out


def point_nodes(repeats: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """A point's per-node mechanism over its repeats: medians of the rates and of the
    connections in use (one repeat's burst moves no knee), the peak of those open."""
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
            "gateway_connections": max(int(f["gateway_connections"]) for f in figs),
            "in_use_connections": _median([float(f["in_use_connections"]) for f in figs])}
    return out


def _median(values: Sequence[float]) -> float:
    return float(median(values)) if values else 0.0
