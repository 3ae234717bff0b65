"""What the stack has used up to an instant: the gateways' and Redis nodes' cgroup CPU and
memory, the gateways' TCP counters, every node's command counts, the host's CPU and the
load generator's CPU. Two snapshots make a `Cost`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from stackctl.errors import ToolError
from stackctl.meter.commandstats import NodeCommands, collect, submit_reads
from stackctl.model import StackModel
from stackctl.runtime._client import load_wrapper
from stackctl.runtime.compose import Compose
from stackctl.runtime.usage import ContainerUsage, HostCpu, Unavailable, container_usage

MAX_THREADS = 8
"""Parallel node reads at most (each is one `docker exec`)."""

Reading = ContainerUsage | Unavailable


@dataclass(frozen=True)
class Snapshot:
    """Counters at one instant (`at`: monotonic seconds, when /proc was read)."""

    at: float
    took_s: float
    gateways: Mapping[str, Reading]  # by service; with TCP counters
    nodes: Mapping[str, Reading]  # by node service; cgroup only
    commands: Mapping[str, NodeCommands]  # by node
    host: HostCpu | Unavailable
    loadgen_cpu_s: float


def take_snapshot(compose: Compose, model: StackModel, gateways: list[str],
                  loadgen_cpu: Callable[[], float]) -> Snapshot:
    """Read everything once: the nodes' commandstats in parallel threads while this thread
    reads the containers (one `docker inspect`) and /proc."""
    from stackctl.runtime.usage import read_host_cpu

    load_wrapper()  # before the threads: python-on-whales' imports can deadlock
    start = time.monotonic()
    nodes = [n.name for n in model.nodes]
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_THREADS, len(nodes)))) as pool:
        futures = submit_reads(pool, compose, model)
        readings = _by_service(compose, [*gateways, *nodes], gateways)
        at, host, loadgen = time.monotonic(), read_host_cpu(), loadgen_cpu()
        commands = collect(futures)
    return Snapshot(at, time.monotonic() - start, {g: readings[g] for g in gateways},
                    {n: readings[n] for n in nodes}, commands, host, loadgen)


def _by_service(compose: Compose, services: Sequence[str], netns: Sequence[str]
                ) -> dict[str, Reading]:
    names = {s: compose.container(s) for s in services}
    try:
        usage = container_usage(list(names.values()), [names[s] for s in netns])
    except ToolError as exc:  # docker itself failed: every reading says so
        return {s: Unavailable(str(exc)) for s in services}
    return {s: usage[name] for s, name in names.items()}
