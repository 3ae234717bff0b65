"""The drill on a swarm stack (engine = swarm): the other side of `drill.backend`.

- Faults act on the running container of the node's task on this node (`docker kill`,
  `stop`, `pause`, `unpause` through `runtime.swarm`). A manager's Docker API cannot
  kill, stop or pause a container on another node (the engine API is per node; Swarm's
  API has services and tasks, not signals), so a target whose task runs elsewhere is
  refused before anything is touched.
- Swarm replaces a killed or stopped task with a new one (its restart policy): a new
  container, possibly a new overlay address, the same node-local volume (nodes.conf and
  the append-only file). So on swarm "start it again" means "wait for Swarm's new task",
  never `docker start` of the old container (that would run the node twice), and the
  cluster may recover without a failover (the new task back before node-timeout).
- restart-gateway is `docker service update --force` (Swarm's restart of a service).
- A new task answers by its name only once Swarm's DNS lists it, which it does once the
  task is healthy (its first healthcheck, up to the stack's 10 s interval after its
  container started; measured: about 10 s), and the stack's endpoints are names: so a
  replaced node counts as back (`observe.seen_back`) when it answers by name.
- The cluster is asked through a probe container on the attachable Redis overlay
  (the redis image, stackctl's client certificate, the scripts), started for the drill
  and removed at its end: the same scripts the Compose gate runs.
- The load keeps the builtin engine on the host (per-request timestamps and statuses,
  the live rate check); it reaches the gateway through the local access proxy
  (`swarm.access`: docker-proxy on network.bind, nginx on the front overlay), which is
  the host's only way to the gateway on swarm and is in every request's path.
- The load uses the smoke API baked into every gateway task (an API created through one
  task's API would be served by that task only, and lost when it is replaced); the
  pump's csv sink is a tmpfs volume on its node, read by a helper container there (the
  pump has no shell), and this run's records are the count's growth since the run began.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from stackctl.cluster.pki import STACKCTL_CLIENT
from stackctl.drill.scenarios.base import Faults, Scenario, Target
from stackctl.errors import ConfigError, ToolError
from stackctl.runtime import swarm
from stackctl.runtime.compose import ExecResult, ServiceState

if TYPE_CHECKING:
    from stackctl.clients.gateway import GatewayClient
    from stackctl.cluster.readiness import ClusterNode
    from stackctl.context import StackContext
    from stackctl.drill.observe import Gate
    from stackctl.drill.options import DrillOptions
    from stackctl.load.keys import SmokeSetup

PROBE_ROLE = "drill-probe"
PROBE_SECONDS = 3 * 3600
"""The probe only sleeps; this bounds it should the drill die without removing it."""
EXEC_TIMEOUT_S = 30.0
START_WAIT_S = 90.0
"""How long `start` waits for Swarm's new task of a killed or stopped service."""
REFUSED_ON_SWARM: dict[str, str] = {
    "partition-primary": "`docker network disconnect` of a task's container is accepted, "
    "but connecting it again does not bring its service name back (measured: Swarm's "
    "DNS no longer answers for it), so the node would stay unreachable by name until "
    "Swarm replaced the task",
    "stop-pump": "Swarm starts a new pump task seconds after its container stops (the "
    "restart policy), and the pump's csv sink is a tmpfs of that task, so neither the "
    "backlog phase nor the delivered records can be measured",
}
"""Scenarios that cannot exist on swarm, and why (one line each, exit 2)."""


def check_swarm_input(ctx: StackContext, chosen: Sequence[Scenario], options: DrillOptions
                      ) -> None:
    """The swarm refusals that need no target (ConfigError, exit 2; nothing touched): a
    scenario that cannot exist here, --vary, not a manager, the stack not running."""
    from stackctl.swarm.stackfile import STACK_FILE, wanted_tasks
    from stackctl.swarm.wait import progress

    refused = [s.name for s in chosen if s.name in REFUSED_ON_SWARM]
    if refused:
        raise ConfigError(f"scenario {refused[0]!r}",
                          f"not on engine = swarm: {REFUSED_ON_SWARM[refused[0]]}",
                          "run it on a Compose stack (engine = compose)")
    if options.varies:
        raise ConfigError(f"--vary {options.varies[0].knob.setting}", "not on engine = "
                          "swarm in this version (it re-renders the stack and recreates "
                          "Compose containers between runs)", "compare settings on a "
                          "Compose stack, or run one drill per `stackctl up`")
    swarm.require_manager()
    path = ctx.state_dir / STACK_FILE
    project = ctx.model.settings.project
    wanted = wanted_tasks(json.loads(path.read_text())) if path.exists() else {}
    now = progress(ctx.stack.tasks(), wanted) if wanted else None
    late = sorted(n for n, want in wanted.items() if now is None or now.running[n] < want)
    if not wanted or late:
        raise ConfigError(f"stack {project}", "not running on swarm" + (
            f" ({', '.join(late)} without a running task)" if late else ""),
            "run `stackctl up` first, with the same settings and directory")


def probe_name(project: str) -> str:
    """The drill's probe container."""
    return f"{project}-drill-probe"


def acted_on(scenario: Scenario, target: Target) -> str:
    """The service whose container the scenario's fault acts on ("" for a whole
    service)."""
    if scenario.acts_on == "service":
        return ""
    return target.replica_service if scenario.acts_on == "replica" else target.service


def not_here(scenario: Scenario, service: str, nodes: Sequence[str]) -> ConfigError:
    """The refusal for a fault on a container whose task runs on another node."""
    where = f"on node {', '.join(nodes)}" if nodes else "nowhere (no running task)"
    return ConfigError(f"scenario {scenario.name!r}", f"{service}'s task runs {where}, not "
                       "on this node: a container fault goes through this node's Docker "
                       "engine (a manager cannot kill, stop or pause another node's "
                       "container)", "run stackctl on the node that runs it (a manager), "
                       "or choose another scenario")


class ProbeGate:
    """The drill's gate on swarm: commands run in the probe container."""

    def __init__(self, container: str):
        self.container = container

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run `command` in the probe (`service`, the Compose gate's name, is ignored)."""
        return swarm.exec_bounded(self.container, command, env,
                                  EXEC_TIMEOUT_S if timeout is None else timeout)


class SwarmFaults:
    """`Faults` on a swarm stack: each service's task container on this node."""

    def __init__(self, stack: swarm.Stack, start_wait_s: float = START_WAIT_S):
        self.stack = stack
        self.start_wait_s = start_wait_s
        self.acted: dict[str, swarm.LocalTask] = {}
        """The task containers acted on, by service (a paused one is not `running`)."""

    def local(self, service: str) -> swarm.LocalTask:
        """The service's running task container here; ToolError when there is none."""
        task = swarm.local_task(self.stack.full(service))
        if task is None:
            raise ToolError(f"{service}: no running task container on this node")
        return task

    def _act(self, services: Sequence[str], action: str, **kw: Any) -> None:
        for service in services:
            task = self.local(service)
            self.acted[service] = task  # the latest: a drill acts on a service repeatedly
            swarm.container_action(task.container, action, **kw)

    def kill(self, services: Sequence[str], signal: str = "SIGKILL") -> None:
        """`docker kill` of each service's task container (Swarm then starts a new task)."""
        self._act(services, "kill", signal=signal)

    def stop(self, services: Sequence[str], timeout: int | None = None) -> None:
        """`docker stop` of each service's task container (Swarm then starts a new task)."""
        self._act(services, "stop", timeout=timeout)

    def pause(self, services: Sequence[str]) -> None:
        """`docker pause` of each service's task container."""
        self._act(services, "pause")

    def unpause(self, services: Sequence[str]) -> None:
        """`docker unpause` of the containers paused; one Swarm already replaced (its
        healthcheck failed while paused) is gone, and its new task is left alone."""
        for service in services:
            task = self.acted.get(service)
            if task is None or not swarm.container_paused(task.container):
                continue
            swarm.container_action(task.container, "unpause")

    def start(self, services: Sequence[str]) -> None:
        """Swarm brings a killed or stopped service back itself: wait until each has a
        running task (never `docker start` of the old task's container)."""
        from stackctl.swarm.wait import wait_running

        wait_running(self.stack, dict.fromkeys(services, 1), self.start_wait_s,
                     what="drill restore")

    def restart(self, services: Sequence[str], timeout: int | None = None) -> None:
        """`docker service update --force`: Swarm replaces every task of the service;
        returns once none of the old tasks is wanted any more and every new one has a
        started container (as `docker restart` returns once the container started)."""
        for service in services:
            old = {t.id for t in self.stack.tasks() if t.service == service
                   and t.desired == "running"}
            swarm.force_update(self.stack.full(service))
            deadline = time.monotonic() + self.start_wait_s
            while True:
                mine = [t for t in self.stack.tasks() if t.service == service
                        and t.desired == "running"]
                if mine and not any(t.id in old for t in mine) and all(
                        t.state in ("starting", "running") for t in mine):
                    break
                if time.monotonic() >= deadline:
                    raise ToolError(f"{service}: not restarted after "
                                    f"{self.start_wait_s:.0f} s (docker service update "
                                    "--force)")
                time.sleep(0.2)

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run `command` in the service's task container here."""
        return swarm.exec_bounded(self.local(service).container, command, env, timeout)

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        """Per service: `running` when all its wanted tasks run and none is starting
        or being replaced (the state of a whole service, not of one container)."""
        wanted = {s.name: s.replicas for s in self.stack.services()}
        tasks = self.stack.tasks()
        out = []
        for service in services:
            mine = [t for t in tasks if t.service == service and t.desired == "running"]
            up = sum(t.state == "running" for t in mine)
            done = up == len(mine) == wanted.get(service, 1)
            out.append(ServiceState(service, self.stack.full(service),
                                    "running" if done else "starting", "", 0))
        return out

    def disconnect(self, service: str, network: str) -> None:
        """Not on swarm (partition-primary is refused before the run)."""
        raise ToolError(f"partition-primary: {REFUSED_ON_SWARM['partition-primary']}")

    def connect(self, service: str, network: str, ip: str) -> None:
        """Not on swarm (see `disconnect`)."""
        raise ToolError(f"partition-primary: {REFUSED_ON_SWARM['partition-primary']}")

    def networks_of(self, service: str) -> dict[str, str]:
        """The service's task container's networks here, with its address on each."""
        return dict(self.local(service).addresses)


def _task_dict(task: swarm.LocalTask | None, network: str) -> dict[str, Any] | None:
    if task is None:
        return None
    return {"task_id": task.task_id, "container": task.container,
            "ip": task.addresses.get(network, ""), "started_at": task.started_at or None}


class SwarmBackend:
    """The drill's runtime side on a swarm stack (see the module's docstring)."""

    engine = "swarm"

    def __init__(self, ctx: StackContext):
        self.ctx = ctx
        self.stack = ctx.stack
        self.swarm_faults = SwarmFaults(ctx.stack)
        self.faults: Faults = self.swarm_faults
        self.probe = probe_name(ctx.model.settings.project)
        self.gate: Gate = ProbeGate(self.probe)
        self._base: dict[str, int] = {}
        self._before: dict[str, swarm.LocalTask] = {}
        self._replaced_at: dict[str, float] = {}

    # -- the probe's life: the drill's ----------------------------------------------

    def open(self) -> None:
        """Start the probe container on the Redis overlay."""
        from stackctl.images.select import stack_images
        from stackctl.swarm.stackfile import REDIS_NETWORK, swarm_env
        from stackctl.swarm.wait import probe_mounts

        model = self.ctx.model
        swarm.run_probe(self.probe, stack_images(model.settings)["redis"],
                        self.stack.network(REDIS_NETWORK), probe_mounts(model),
                        swarm_env(model, STACKCTL_CLIENT),
                        {swarm.OWNER_LABEL: model.settings.project,
                         swarm.ROLE_LABEL: PROBE_ROLE}, PROBE_SECONDS)

    def close(self) -> None:
        """Remove the probe."""
        swarm.remove_container(self.probe)

    # -- Backend ---------------------------------------------------------------------

    def refuse(self, scenario: Scenario, target: Target) -> None:
        """Refused on swarm: the scenarios that cannot exist here, and a container fault
        whose task runs on another node (ConfigError, exit 2)."""
        if scenario.name in REFUSED_ON_SWARM:
            raise ConfigError(f"scenario {scenario.name!r}",
                              f"not on engine = swarm: {REFUSED_ON_SWARM[scenario.name]}",
                              "run it on a Compose stack (engine = compose)")
        service = acted_on(scenario, target)
        if service and swarm.local_task(self.stack.full(service)) is None:
            nodes = sorted({t.node for t in self.stack.tasks() if t.service == service
                            and t.desired == "running" and t.state == "running"})
            raise not_here(scenario, service, nodes)

    def make_api(self, gw: GatewayClient, view: Sequence[ClusterNode], keys: int
                 ) -> SmokeSetup:
        """Keys for the smoke API every gateway task serves; the pump's count for it
        now (this run's records are what it grows by)."""
        from stackctl.drill.keys import keys_for
        from stackctl.steps.bootstrap import API_ID, LISTEN_PATH

        made = keys_for(gw, API_ID, LISTEN_PATH, view, keys)
        self._base[API_ID] = self._count(API_ID) or 0
        return made

    def drop_api(self, gw: GatewayClient, made: SmokeSetup) -> list[str]:
        """The keys deleted; the baked-in API stays."""
        from stackctl.load.keys import delete_keys

        return delete_keys(gw, made.keys)

    def _count(self, api_id: str) -> int | None:
        from stackctl.images.select import stack_images
        from stackctl.meter.delivered import count_in_text
        from stackctl.swarm.pump_csv import pump_csv

        try:
            text = pump_csv(self.stack, stack_images(self.ctx.model.settings)["redis"])
        except ToolError:
            return None
        return count_in_text(text, api_id) if text is not None else None

    def delivered(self, api_id: str) -> int:
        """Records for the API in the pump task's csv sink since the run began (read
        from its volume here; ToolError when the pump's task is not on this node)."""
        now = self._count(api_id)
        if now is None:
            raise ToolError("analytics: the pump's task is not on this node")
        return max(0, now - self._base.get(api_id, 0))

    def logs_since(self, service: str, since: float) -> str:
        """Every task's log lines of the service (`docker service logs --since`)."""
        return swarm.service_logs_since(self.stack.full(service), since)

    def before_fault(self, scenario: Scenario, target: Target) -> None:
        """The task the fault acts on (its id, container and address)."""
        service = acted_on(scenario, target)
        if service:
            task = swarm.local_task(self.stack.full(service))
            if task is not None:
                self._before[service] = task

    def replaced(self, target: Target) -> Callable[[], str] | None:
        """The Redis address of the new task Swarm started for the target, on any node
        ("" while there is none; starting counts: the Redis node answers before its
        first healthcheck)."""
        from stackctl.swarm.stackfile import REDIS_NETWORK

        before = self._before.get(target.service)
        if before is None:
            return None
        network = self.stack.network(REDIS_NETWORK)

        def check() -> str:
            new = [t for t in self.stack.tasks() if t.service == target.service
                   and t.desired == "running" and t.id != before.task_id
                   and t.state in ("starting", "running")]
            if not new:
                return ""
            if target.service not in self._replaced_at:
                self._replaced_at[target.service] = time.time()
            return swarm.task_addresses(new[0].id).get(network, "")
        return check

    def wait_ready(self, timeout: float) -> float:
        """Every long-running service with its tasks running (Swarm's new ones
        included), then cluster-ready.sh in the probe."""
        from stackctl.cluster.wait import wait_ready
        from stackctl.drill.backend import STEP
        from stackctl.swarm.stackfile import STACK_FILE, wanted_tasks
        from stackctl.swarm.wait import wait_running

        started = time.monotonic()
        wanted = wanted_tasks(json.loads((self.ctx.state_dir / STACK_FILE).read_text()))
        wait_running(self.stack, wanted, timeout, what="drill restore")
        left = max(1.0, timeout - (time.monotonic() - started))
        wait_ready(self.gate, left, step=STEP)
        return time.monotonic() - started

    def task_report(self, target: Target) -> dict[str, Any] | None:
        """The target's task before the fault and now: replaced or not, the address
        before and after (a new task may get another overlay address)."""
        from stackctl.swarm.stackfile import REDIS_NETWORK

        service = target.service
        if service not in self._before:
            return None
        network = self.stack.network(REDIS_NETWORK if target.addr else "front")
        before = self._before.pop(service)
        now = swarm.local_task(self.stack.full(service))
        after = _task_dict(now, network)
        was = _task_dict(before, network)
        assert was is not None
        return {"before": was, "after": after,
                "replaced": after is not None and after["task_id"] != was["task_id"],
                "ip_changed": after is not None and after["ip"] != was["ip"],
                "replaced_seen_at": self._replaced_at.pop(service, None)}
