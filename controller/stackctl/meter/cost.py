"""What a load run cost from two snapshots and the request count: CPU, Redis commands and
new connections per request, the load generator's and the machine's share, saturation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from stackctl.meter.commandstats import NodeCommands, is_probe
from stackctl.meter.saturation import Load, judge, shares_text
from stackctl.meter.snapshot import Reading, Snapshot
from stackctl.runtime.usage import CgroupUsage, ContainerUsage, TcpCounters, Unavailable

UPSTREAM_PORT = 80
"""The stack's upstream (nginx at http://upstream:80/, the smoke's and bootstrap's
target): TIME_WAIT sockets to this remote port are the gateway's upstream churn."""
TOP_COMMANDS = 5
"""Redis commands listed by name, the most frequent first."""
MIB = 1024 * 1024


@dataclass(frozen=True)
class Cost:
    """What `requests` requests cost between two snapshots (None where a reading was unavailable,
    see `unavailable`, or without requests). New connections: the gateways' ActiveOpens per
    request (upstream, Redis, healthcheck); Redis counts leave out `PROBE_COMMANDS`; Redis
    cores are the nodes' cgroup CPU (healthchecks included)."""

    seconds: float
    requests: int
    cores: int
    pool_timeouts: int
    gateway_cpu_us_per_request: float | None
    gateway_cores: float | None
    gateway_memory_mib: float | None
    redis_commands_per_request: float | None
    redis_commands_per_node: Mapping[str, float]
    redis_top_commands: tuple[tuple[str, float], ...]
    redis_cores_per_node: Mapping[str, float]
    new_connections_per_request: float | None
    time_wait_upstream: int | None
    loadgen_cores: float
    loadgen_cpu_us_per_request: float | None
    machine_busy_pct: float | None
    shares_pct: Mapping[str, float]
    saturated: str
    reasons: tuple[str, ...]
    unavailable: tuple[str, ...] = field(default=())
    redis_connections_per_request: float | None = None
    """Connections every Redis node received (INFO stats), per request: the gateways',
    the pump's, the healthchecks' and other clients' (the meter's own reads left out);
    None when a node's count was not read twice."""

    @property
    def redis_cores_max(self) -> float | None:
        """The busiest node's cores."""
        return max(self.redis_cores_per_node.values(), default=None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded."""
        out = asdict(self)
        out["redis_top_commands"] = [[name, per] for name, per in self.redis_top_commands]
        out["redis_cores_max"] = self.redis_cores_max
        return {k: _round(k, v) for k, v in out.items()}

    def lines(self) -> list[str]:
        """A few human lines (plain text, fit for rich and Markdown)."""
        gw = (f"gateway {_num(self.gateway_cpu_us_per_request, 0)} µs CPU/request "
              f"({_num(self.gateway_cores, 2)} cores), {_num(self.gateway_memory_mib, 0)} MiB")
        nodes = ", ".join(f"{n} {v:.1f}" for n, v in self.redis_commands_per_node.items())
        top = ", ".join(f"{n} {v:.2f}" for n, v in self.redis_top_commands)
        busiest = self.redis_cores_max
        redis = (f"Redis {_num(self.redis_commands_per_request, 1)} commands/request"
                 f"{f' ({nodes})' if nodes else ''}{f': {top}' if top else ''}"
                 f"{f'; busiest node {busiest:.2f} cores' if busiest is not None else ''}")
        received = ("" if self.redis_connections_per_request is None else
                    f"; Redis received {self.redis_connections_per_request:.3f}/request")
        conns = (f"new connections {_num(self.new_connections_per_request, 3)}/request; "
                 f"{_num(self.time_wait_upstream, 0)} TIME_WAIT to upstream{received}")
        loadgen = (f"load generator {self.loadgen_cores:.2f} cores "
                   f"({_num(self.loadgen_cpu_us_per_request, 0)} µs/request)")
        shares = f" ({shares_text(self.shares_pct)})" if self.shares_pct else ""
        machine = (f"machine {_num(self.machine_busy_pct, 0)}% busy{shares}; "
                   f"saturated: {self.saturated}")
        out = [gw, redis, conns, loadgen, machine]
        if self.saturated != "none":
            out += [f"- {reason}" for reason in self.reasons]
        if self.unavailable:
            out.append("unavailable: " + "; ".join(self.unavailable))
        return out


def cost(before: Snapshot, after: Snapshot, requests: int, pool_timeouts: int = 0) -> Cost:
    """The cost of `requests` requests sent between `before` and `after`."""
    seconds = max(after.at - before.at, 1e-9)
    missing: list[str] = []
    cores = _cores(after, before)

    def per(value: float) -> float | None:
        return value / requests if requests > 0 else None

    gw_cpu = _sum_cpu(before.gateways, after.gateways, missing)
    gw_mem = _memory_after(after.gateways)
    node_cpu = {n: d for n in after.nodes
                if (d := _delta_cpu(n, before.nodes.get(n), after.nodes[n], missing)) is not None}
    calls = _command_deltas(before.commands, after.commands, missing)
    opens = _sum_tcp(before.gateways, after.gateways, missing)
    time_wait = _time_wait_after(after.gateways)
    loadgen_s = max(after.loadgen_cpu_s - before.loadgen_cpu_s, 0.0)
    received = connections_received(before, after)
    busy_pct, busy_s = _machine(before, after, missing)

    gw_s = None if gw_cpu is None else gw_cpu / 1e9
    redis_cores = {n: ns / 1e9 / seconds for n, ns in node_cpu.items()}
    node_totals = {n: sum(c.values()) for n, c in calls.items()}
    all_nodes = len(calls) == len(after.commands) and bool(calls)
    total_calls = sum(node_totals.values()) if all_nodes else None
    shares = _shares(seconds, cores, busy_s, gw_s, sum(node_cpu.values()) / 1e9, loadgen_s)
    load = Load(pool_timeouts, None if opens is None else per(opens), redis_cores,
                loadgen_s / seconds, None if gw_s is None else gw_s / seconds, cores,
                busy_pct, shares)
    saturated, reasons = judge(load)
    return Cost(
        seconds=seconds, requests=requests, cores=cores, pool_timeouts=pool_timeouts,
        gateway_cpu_us_per_request=None if gw_s is None else per(gw_s * 1e6),
        gateway_cores=load.gateway_cores,
        gateway_memory_mib=None if gw_mem is None else gw_mem / MIB,
        redis_commands_per_request=None if total_calls is None else per(total_calls),
        redis_commands_per_node={n: v / requests for n, v in node_totals.items()}
        if requests > 0 else {},
        redis_top_commands=_top(calls, requests),
        redis_cores_per_node=redis_cores,
        new_connections_per_request=load.new_connections_per_request,
        time_wait_upstream=time_wait,
        loadgen_cores=loadgen_s / seconds,
        loadgen_cpu_us_per_request=per(loadgen_s * 1e6),
        machine_busy_pct=busy_pct, shares_pct=shares, saturated=saturated, reasons=reasons,
        unavailable=tuple(dict.fromkeys(missing)),
        redis_connections_per_request=None if received is None else per(received))


def connections_received(before: Snapshot, after: Snapshot) -> int | None:
    """Connections the nodes received between two snapshots, less the reads' own; None if unread."""
    nodes = set(after.nodes) or set(after.commands)
    if not nodes or any(n not in before.connections_received
                        or n not in after.connections_received for n in nodes):
        return None
    deltas = [after.connections_received[n] - before.connections_received[n] - 1
              for n in nodes]
    return None if any(d < 0 for d in deltas) else sum(deltas)


def _cores(*snapshots: Snapshot) -> int:
    """The host's cores from the first snapshot that read them (else this machine's)."""
    return next((s.host.cores for s in snapshots if not isinstance(s.host, Unavailable)),
                os.cpu_count() or 1)


def _cgroup(name: str, before: Reading | None, after: Reading, missing: list[str]
            ) -> tuple[CgroupUsage, CgroupUsage] | None:
    """Both cgroup readings of one container, or None (the reason added to `missing`)."""
    for reading in (before, after):
        if reading is None:
            missing.append(f"{name}: not in the first snapshot")
            return None
        if isinstance(reading, Unavailable):
            missing.append(reading.reason)
            return None
        if isinstance(reading.cgroup, Unavailable):
            missing.append(reading.cgroup.reason)
            return None
    assert isinstance(before, ContainerUsage) and isinstance(after, ContainerUsage)
    assert isinstance(before.cgroup, CgroupUsage) and isinstance(after.cgroup, CgroupUsage)
    if before.id != after.id or after.cgroup.cpu_ns < before.cgroup.cpu_ns:
        missing.append(f"{name}: container restarted between the snapshots")
        return None
    return before.cgroup, after.cgroup


def _delta_cpu(name: str, before: Reading | None, after: Reading, missing: list[str]
               ) -> int | None:
    pair = _cgroup(name, before, after, missing)
    return None if pair is None else pair[1].cpu_ns - pair[0].cpu_ns


def _sum_cpu(before: Mapping[str, Reading], after: Mapping[str, Reading],
             missing: list[str]) -> int | None:
    deltas = [_delta_cpu(n, before.get(n), r, missing) for n, r in after.items()]
    return None if not deltas or None in deltas else sum(d for d in deltas if d is not None)


def _memory_after(after: Mapping[str, Reading]) -> int | None:
    values = [r.cgroup.memory_bytes for r in after.values()
              if isinstance(r, ContainerUsage) and isinstance(r.cgroup, CgroupUsage)]
    return sum(values) if values and len(values) == len(after) else None


def _tcp(reading: Reading | None) -> TcpCounters | Unavailable:
    if reading is None:
        return Unavailable("not in the first snapshot")
    if isinstance(reading, Unavailable):
        return reading
    return reading.tcp if reading.tcp is not None else Unavailable(
        f"{reading.name}: TCP counters not read")


def _sum_tcp(before: Mapping[str, Reading], after: Mapping[str, Reading],
             missing: list[str]) -> int | None:
    total = 0
    for name, reading in after.items():
        first, last = _tcp(before.get(name)), _tcp(reading)
        for tcp in (first, last):
            if isinstance(tcp, Unavailable):
                missing.append(f"{name} TCP: {tcp.reason}")
                return None
        assert isinstance(first, TcpCounters) and isinstance(last, TcpCounters)
        if _restarted(before.get(name), reading):
            missing.append(f"{name}: container restarted between the snapshots")
            return None
        if last.active_opens < first.active_opens:
            missing.append(f"{name}: network namespace replaced between the snapshots")
            return None
        total += last.active_opens - first.active_opens
    return total if after else None


def _restarted(before: Reading | None, after: Reading) -> bool:
    return (isinstance(before, ContainerUsage) and isinstance(after, ContainerUsage)
            and before.id != after.id)


def _time_wait_after(after: Mapping[str, Reading]) -> int | None:
    counts = [t.time_wait_to(UPSTREAM_PORT) for r in after.values()
              if isinstance(t := _tcp(r), TcpCounters)]
    return sum(counts) if counts and len(counts) == len(after) else None


def _command_deltas(before: Mapping[str, NodeCommands], after: Mapping[str, NodeCommands],
                    missing: list[str]) -> dict[str, dict[str, int]]:
    """Per node, the calls of each non-probe command between the snapshots."""
    out: dict[str, dict[str, int]] = {}
    for node, last in after.items():
        first = before.get(node, Unavailable(f"{node}: not in the first snapshot"))
        if isinstance(first, Unavailable):
            missing.append(first.reason)
            continue
        if isinstance(last, Unavailable):
            missing.append(last.reason)
            continue
        deltas = {c: n - first.get(c, 0) for c, n in last.items() if not is_probe(c)}
        if any(d < 0 for d in deltas.values()):
            missing.append(f"{node}: command counters reset between the snapshots")
            continue
        out[node] = {c: d for c, d in deltas.items() if d > 0}
    return out


def _top(calls: Mapping[str, Mapping[str, int]], requests: int) -> tuple[tuple[str, float], ...]:
    if requests <= 0:
        return ()
    totals: dict[str, int] = {}
    for per_node in calls.values():
        for command, n in per_node.items():
            totals[command] = totals.get(command, 0) + n
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_COMMANDS]
    return tuple((command, n / requests) for command, n in ranked)


def _machine(before: Snapshot, after: Snapshot, missing: list[str]
             ) -> tuple[float | None, float | None]:
    """(busy % of all cores, busy CPU seconds) between the snapshots."""
    first, last = before.host, after.host
    for host in (first, last):
        if isinstance(host, Unavailable):
            missing.append(f"host CPU: {host.reason}")
            return None, None
    assert not isinstance(first, Unavailable) and not isinstance(last, Unavailable)
    total = last.total_ticks - first.total_ticks
    if total <= 0:
        missing.append("host CPU: no ticks between the snapshots")
        return None, None
    busy = last.busy_ticks - first.busy_ticks
    return 100.0 * busy / total, busy / last.ticks_per_s


def _shares(seconds: float, cores: int, busy_s: float | None, gateway_s: float | None,
            redis_s: float, loadgen_s: float) -> dict[str, float]:
    """Percent of all cores used by gateways, Redis, load generator, the rest; {} if unread."""
    if busy_s is None or gateway_s is None:
        return {}
    capacity = seconds * cores / 100.0
    parts = {"gateway": gateway_s / capacity, "redis": redis_s / capacity,
             "load-generator": loadgen_s / capacity}
    parts["other"] = max(busy_s / capacity - sum(parts.values()), 0.0)
    return parts


def _num(value: float | None, digits: int) -> str:
    return "?" if value is None else f"{value:,.{digits}f}"


_DIGITS = {"seconds": 2, "gateway_cpu_us_per_request": 1, "gateway_cores": 3,
           "gateway_memory_mib": 1, "redis_commands_per_request": 3, "loadgen_cores": 3,
           "loadgen_cpu_us_per_request": 1, "machine_busy_pct": 1,
           "new_connections_per_request": 4, "redis_cores_max": 3,
           "redis_connections_per_request": 4}
_MAP_DIGITS = {"redis_commands_per_node": 3, "redis_cores_per_node": 3, "shares_pct": 1}


def _round(key: str, value: Any) -> Any:
    if key in _DIGITS and isinstance(value, float):
        return round(value, _DIGITS[key])
    if key in _MAP_DIGITS and isinstance(value, dict):
        return {k: round(v, _MAP_DIGITS[key]) for k, v in value.items()}
    if key == "redis_top_commands":
        return [[name, round(per, 3)] for name, per in value]
    return list(value) if isinstance(value, tuple) else value
