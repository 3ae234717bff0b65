"""The meter on a swarm stack: the same `Snapshot` and `Cost` as on Compose, read through
`runtime.swarm`. Metered: the gateway task containers on this node, every Redis node's
commandstats (in its own task container here, else through another Redis task container
here by the node's name), the host's CPU, and the load tasks' CPU as wrk reports it.
What runs on other nodes is not: `SwarmMeter.partial` says which."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from stackctl.errors import ToolError
from stackctl.load.plan import LoadResult
from stackctl.load.stats import answers_between
from stackctl.meter.commandstats import TARGET_ENV
from stackctl.meter.cost import Cost, cost
from stackctl.meter.pool import count_pool_timeouts
from stackctl.meter.snapshot import Snapshot, read_snapshot
from stackctl.model import StackModel
from stackctl.names import GATEWAY_SERVICE
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.swarm import Stack, exec_bounded
from stackctl.runtime.usage import Unavailable

FIRST_AT = 0.25
"""The first snapshot, as a share of the run after every load task runs: past the
connections' set-up, inside the second fifth (the steady check compares the first and
last fifths; a snapshot's `docker exec`s take some CPU from the run)."""
MIN_WINDOW_S = 1.0
"""The shortest metered stretch worth a figure: the first snapshot is skipped when the
first load task would end sooner than this after it."""


@dataclass
class SwarmSource:
    """A `MeterSource` for a swarm stack on this node (one `docker ps` per snapshot)."""

    stack: Stack
    model: StackModel
    _tasks: dict[str, list[str]] = field(default_factory=dict)

    def refresh(self) -> dict[str, list[str]]:
        """Read which of the stack's containers run here now."""
        self._tasks = self.stack.local_tasks()
        return self._tasks

    def gateways(self) -> Mapping[str, str]:
        """Every gateway task container here, by container name."""
        return {c: c for c in self.refresh().get(GATEWAY_SERVICE, [])}

    def nodes(self) -> Mapping[str, str | Unavailable]:
        """Each node's task container, or why it is not metered here."""
        out: dict[str, str | Unavailable] = {}
        for node in self.model.nodes:
            here = self._tasks.get(node.name)
            out[node.name] = here[0] if here else Unavailable(
                f"{node.name}: its task runs on another node (not metered)")
        return out

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """In the node's own container, else in another Redis container here at its address."""
        own = self._tasks.get(node)
        if own:
            return exec_bounded(own[0], command, env)
        addr = next((n.addr for n in self.model.nodes if n.name == node), "")
        here = [c for n in self.model.nodes for c in self._tasks.get(n.name, [])]
        if not here or not addr:
            return ExecResult(1, "", f"{node}: no Redis task container on this node")
        return exec_bounded(here[0], command, {**env, TARGET_ENV: addr})


def pool_timeouts(stack: Stack, since: float) -> int:
    """Pool-timeout lines since `since` (unix time) in this node's gateway task logs."""
    return sum(count_pool_timeouts(stack.container_log(c, since))
               for c in stack.local_tasks().get(GATEWAY_SERVICE, []))


def first_snapshot_delay(started: float, running: float, duration_s: float) -> float | None:
    """Seconds from `running` (every load task seen running; the job made at `started`) to the
    first snapshot; None when the first task would end within MIN_WINDOW_S of it."""
    at = running + FIRST_AT * duration_s
    if started + duration_s - at < MIN_WINDOW_S:
        return None
    return at - running


def wall_of(snapshot: Snapshot) -> float:
    """The snapshot's instant on the wall clock (time.time)."""
    return time.time() - (time.monotonic() - snapshot.at)


@dataclass
class SwarmMeter:
    """Meters one load run from the load tasks: `running` takes the first snapshot a little into
    the run, `complete` the second; `cost` counts the tasks' answers between the two."""

    stack: Stack
    model: StackModel
    duration_s: float
    before: Snapshot | None = None
    after: Snapshot | None = None
    timeouts: int = 0
    problem: str = ""
    since: float = 0.0
    _source: SwarmSource | None = None

    def start(self) -> None:
        """Before the load job exists: from now on the gateways' pool timeouts count."""
        self.since = time.time()

    def running(self, started: float, running: float) -> None:
        """Every load task runs: wait into the run and take the first snapshot."""
        delay = first_snapshot_delay(started, running, self.duration_s)
        if delay is None:
            self.problem = self.problem or (
                f"the load tasks took {running - started:.1f} s to start: too little of "
                f"the {self.duration_s:g} s run was left to meter")
            return
        time.sleep(max(0.0, running + delay - time.time()))
        self._source = SwarmSource(self.stack, self.model)
        try:
            self.before = read_snapshot(self._source, lambda: 0.0)
        except ToolError as exc:
            self.problem = str(exc)

    def complete(self) -> None:
        """Every load task ended: the second snapshot."""
        if self.before is None or self._source is None:
            return
        try:
            self.after = read_snapshot(self._source, lambda: 0.0)
            self.timeouts = pool_timeouts(self.stack, self.since)
        except ToolError as exc:
            self.problem = str(exc)

    def cost(self, tasks: Sequence[LoadResult]) -> tuple[Cost | None, str]:
        """What the metered stretch cost, or None and why."""
        if self.before is None or self.after is None:
            return None, self.problem or "not metered"
        before, after = self.before, self.after
        start, end = wall_of(before), wall_of(after)
        counted = [answers_between(t.answers, start, end) for t in tasks]
        if any(c is None for c in counted):
            return None, "a load task reported no answers per slice of time"
        requests = round(sum(c for c in counted if c is not None))
        total = sum(t.requests for t in tasks)
        cpu = [t.engine_cpu_s for t in tasks]
        # wrk's CPU is the whole run's: the metered stretch's share of its answers.
        loadgen = (sum(c for c in cpu if c is not None) * requests / total
                   if total and None not in cpu else 0.0)
        after = replace(after, loadgen_cpu_s=loadgen)
        return cost(before, after, requests, self.timeouts), self.partial()

    def partial(self) -> str:
        """What the figures leave out (empty: nothing): tasks on other nodes."""
        if self.after is None:
            return ""
        away = [n for n, r in self.after.nodes.items()
                if isinstance(r, Unavailable) and "another node" in r.reason]
        here, replicas = len(self.after.gateways), self.model.settings.gateway.replicas
        parts = []
        if away:
            parts.append(f"Redis nodes {', '.join(away)} run on other nodes: their CPU "
                         "is not metered (their commands are)")
        if here < replicas:
            parts.append(f"{here} of {replicas} gateway tasks run on this node: gateway "
                         "CPU and new connections per request count those only")
        if parts:
            parts.append("machine busy is this node's")
        return "; ".join(parts)
