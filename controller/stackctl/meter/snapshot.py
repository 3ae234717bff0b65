"""What the stack has used up to an instant (cgroup CPU and memory, TCP counters, Redis
command counts and connections, host and load-generator CPU), read through the engine's
`MeterSource`. Two snapshots make a `Cost`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from stackctl.errors import ToolError
from stackctl.meter.commandstats import NodeCommands, collect, submit_reads
from stackctl.runtime._client import load_wrapper
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.usage import (
    ContainerUsage,
    HostCpu,
    Unavailable,
    container_usage,
    read_host_cpu,
)

MAX_THREADS = 8
"""Parallel node reads at most (each is one `docker exec`)."""

Reading = ContainerUsage | Unavailable


class MeterSource(Protocol):
    """Where a snapshot reads a stack's counters here: `gateways()` first each time (a source
    may list its containers there), then `nodes()`, then `exec_node` per node."""

    def gateways(self) -> Mapping[str, str]:
        """The gateway containers to meter: label -> container name."""

    def nodes(self) -> Mapping[str, str | Unavailable]:
        """Every Redis node: node name -> its container here (or why it has none)."""

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """Run `command` against the node `node` (a `commandstats.NodeExec`)."""


@dataclass(frozen=True)
class Snapshot:
    """Counters at one instant (`at`: monotonic seconds, when /proc was read)."""

    at: float
    took_s: float
    gateways: Mapping[str, Reading]  # by service (compose) or task container (swarm)
    nodes: Mapping[str, Reading]  # by node; cgroup only
    commands: Mapping[str, NodeCommands]  # by node
    host: HostCpu | Unavailable
    loadgen_cpu_s: float
    connections_received: Mapping[str, int] = field(default_factory=dict)
    """By node that answered: INFO stats' total_connections_received."""


def read_snapshot(source: MeterSource, loadgen_cpu: Callable[[], float]) -> Snapshot:
    """Read everything once: node counts in threads while this thread reads containers and /proc."""
    load_wrapper()  # before the threads: python-on-whales' imports can deadlock
    start = time.monotonic()
    gateways, nodes = dict(source.gateways()), dict(source.nodes())
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_THREADS, len(nodes)))) as pool:
        futures = submit_reads(pool, source.exec_node, list(nodes))
        here = {n: c for n, c in nodes.items() if isinstance(c, str)}
        readings = _by_name([*gateways.values(), *here.values()], list(gateways.values()))
        at, host, loadgen = time.monotonic(), read_host_cpu(), loadgen_cpu()
        commands, received = collect(futures)
    node_readings = {n: readings[c] if isinstance(c, str) else c for n, c in nodes.items()}
    return Snapshot(at, time.monotonic() - start,
                    {g: readings[c] for g, c in gateways.items()}, node_readings, commands,
                    host, loadgen, received)


def _by_name(names: Sequence[str], netns: Sequence[str]) -> dict[str, Reading]:
    try:
        usage = container_usage(list(names), list(netns))
    except ToolError as exc:  # docker itself failed: every reading says so
        return {n: Unavailable(str(exc)) for n in names}
    return {n: usage[n] for n in names}
