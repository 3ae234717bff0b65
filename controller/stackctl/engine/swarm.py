"""engine = swarm: the same stack as a Docker Swarm stack, driven from a manager.
- Faults act on the service's task container on this node (`docker kill`, `stop`,
  `pause`, `unpause`): a manager cannot signal another node's container, so a fault on a
  task elsewhere is refused (`unsupported("fault:<service>")`) before anything is touched.
- Swarm replaces a killed or stopped task (a new container, maybe a new overlay address,
  the same node-local volume): "start it again" means "wait for the new task", never
  `docker start` of the old container; restart is `docker service update --force`. A
  replaced node is back when it answers by name (Swarm's DNS lists it once healthy).
- The cluster is asked through a probe container on the attachable Redis overlay; the
  host reaches the gateway through the local access proxy; loads from the swarm run in N
  load tasks calling the smoke API baked into every gateway task (one made through one
  task's API would be served by that task only)."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackctl.cluster.pki import STACKCTL_CLIENT
from stackctl.engine.base import LoadApi, LoadSite, ServiceRow, refuse
from stackctl.engine.swarm_recreate import SwarmRecreate
from stackctl.engine.swarm_up import SwarmSteps
from stackctl.errors import ConfigError, ToolError
from stackctl.images.select import stack_images
from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.meter.cost import Cost
from stackctl.meter.delivered import count_in_text
from stackctl.meter.snapshot import MeterSource
from stackctl.model import StackModel
from stackctl.names import FRONT_NETWORK, INIT_SERVICE, OWNER_LABEL, REDIS_NETWORK, ROLE_LABEL
from stackctl.runtime import swarm
from stackctl.runtime.docker_cli import Exec, ExecResult, ServiceState
from stackctl.runtime.oneshot import run_oneshot
from stackctl.swarm import access
from stackctl.swarm.health import healthy_tasks, wait_healthy
from stackctl.swarm.load import run_load_tasks
from stackctl.swarm.meter import SwarmMeter, SwarmSource, pool_timeouts
from stackctl.swarm.stackfile import (
    CSV_VOLUME,
    STACK_FILE,
    check_swarm_settings,
    swarm_env,
    wanted_tasks,
)
from stackctl.swarm.wait import probe_mounts, progress
from stackctl.swarm.wait import wait_running as wait_tasks
from stackctl.tyk.lookup import gateway_listen_port
from stackctl.versions import image

if TYPE_CHECKING:
    from stackctl.context import StackContext

PROBE_ROLE = "drill-probe"
PROBE_SECONDS = 3 * 3600
"""The probe only sleeps; this bounds it should stackctl die without removing it."""
EXEC_TIMEOUT_S = 30.0
START_WAIT_S = 90.0
"""How long `start` and `restart` wait for Swarm's new task."""
PROBED = ("gateway", "pump")
"""Services without a Swarm healthcheck (no shell): judged by an HTTP probe."""
UNSUPPORTED: dict[str, str] = {
    "scenario:partition-primary": "`docker network disconnect` of a task's container is "
    "accepted, but connecting it again does not bring its service name back (measured: "
    "Swarm's DNS no longer answers for it), so the node would stay unreachable by name "
    "until Swarm replaced the task",
    "scenario:stop-pump": "Swarm starts a new pump task seconds after its container stops "
    "(the restart policy), and the pump's csv sink is a tmpfs of that task, so neither "
    "the backlog phase nor the delivered records can be measured",
    "vary": "in this version (it re-renders the stack and recreates Compose containers "
    "between runs)",
    "follow-many": "`docker service logs --follow` follows one service at a time",
    "fallback": "its REDIGOCLUSTER_SHARDCOUNT rungs recreate Compose services",
}
"""What cannot be done on swarm, and why (one line each)."""


def probe_name(project: str) -> str:
    """The gate's probe container."""
    return f"{project}-drill-probe"


class ProbeGate:
    """The gate on swarm: commands run in the probe container."""

    def __init__(self, container: str):
        self.container = container

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run `command` in the probe (`service`, the Compose gate's name, is ignored)."""
        return swarm.exec_bounded(self.container, command, env,
                                  EXEC_TIMEOUT_S if timeout is None else timeout)


def _task_dict(task: swarm.LocalTask | None, network: str) -> dict[str, Any] | None:
    if task is None:
        return None
    return {"task_id": task.task_id, "container": task.container,
            "ip": task.addresses.get(network, ""), "started_at": task.started_at or None}


class SwarmEngine(SwarmSteps, SwarmRecreate):
    """The `Engine` of a swarm stack (see the module's docstring)."""

    name = "swarm"
    note = (
        "a fault acts on the target's task container on this node, and Swarm then starts "
        "a new task (a new container, maybe a new overlay address, the same volume), so "
        "the cluster may recover without a failover; the host's load reaches the gateway "
        "through the local access proxy (docker-proxy on the published address, nginx on "
        "the front overlay), which is in every request's path; the cluster is polled "
        "through a probe container on the Redis overlay.")

    def __init__(self, model: StackModel, start_wait_s: float = START_WAIT_S):
        self.model = model
        self.state_dir = model.settings.state_dir
        self.stack = swarm.Stack(model.settings.project)
        self.start_wait_s = start_wait_s
        self.acted: dict[str, swarm.LocalTask] = {}
        """The task containers acted on, by service (a paused one is not `running`)."""
        self._before: dict[str, swarm.LocalTask] = {}
        self._replaced_at: dict[str, float] = {}

    # -- refusals -----------------------------------------------------------------------

    def unsupported(self, feature: str) -> str | None:
        """The fixed refusals, and `fault:<service>` when its task runs on another node."""
        kind, _, service = feature.partition(":")
        if kind != "fault" or not service:
            return UNSUPPORTED.get(feature)
        if swarm.local_task(self.stack.full(service)) is not None:
            return None
        nodes = sorted({t.node for t in self.stack.tasks() if t.service == service
                        and t.desired == "running" and t.state == "running"})
        where = f"on node {', '.join(nodes)}" if nodes else "nowhere (no running task)"
        return (f"{service}'s task runs {where}, not on this node: a container fault goes "
                "through this node's Docker engine (a manager cannot kill, stop or pause "
                "another node's container)")

    # -- life cycle ---------------------------------------------------------------------

    @property
    def rendered_file(self) -> Path:
        """The stack file."""
        return self.state_dir / STACK_FILE

    def wanted(self) -> dict[str, int]:
        """Tasks per long-running service, from the stack file ({} when none)."""
        path = self.rendered_file
        return wanted_tasks(json.loads(path.read_text())) if path.exists() else {}

    def deploy(self, services: Sequence[str] | None = None) -> None:
        """`docker stack deploy` of the stack file (Swarm updates what changed)."""
        self.stack.deploy(self.rendered_file)

    def wait_running(self, timeout: float, what: str = "services",
                     services: Sequence[str] | None = None) -> None:
        """Every long-running service (or `services`) with its tasks running and probes passing."""
        wanted = {k: v for k, v in self.wanted().items() if services is None or k in services}
        started = time.monotonic()
        wait_tasks(self.stack, wanted, timeout, what=what)
        probed = {k: v for k, v in wanted.items() if k in PROBED}
        if probed:
            wait_healthy(self.stack, stack_images(self.model.settings)["redis"], probed,
                         max(1.0, timeout - (time.monotonic() - started)))

    def require_running(self) -> None:
        """A manager and every long-running service with its tasks running (ConfigError, exit 2)."""
        swarm.require_manager()
        wanted = self.wanted()
        now = progress(self.stack.tasks(), wanted) if wanted else None
        late = sorted(n for n, want in wanted.items() if now is None or now.running[n] < want)
        if not wanted or late:
            raise ConfigError(f"stack {self.model.settings.project}", "not running on swarm"
                              + (f" ({', '.join(late)} without a running task)" if late
                                 else ""),
                              "run `stackctl up` first, with the same settings and directory")

    def remove(self, volumes: bool = False) -> dict[str, list[str]]:
        """Access proxy, probe, `docker stack rm`, waited (volumes here if asked); what is left."""
        access.stop(self.model)  # it holds an endpoint on the front network
        swarm.remove_container(probe_name(self.model.settings.project))
        if self.stack.exists():
            self.stack.remove()
        return {k: v for k, v in self.stack.wait_removed(volumes=volumes).items() if v}

    def recreate(self, services: Sequence[str], remove_orphans: bool = False) -> None:
        """`docker stack deploy`: Swarm replaces the tasks of the changed services."""
        self.stack.deploy(self.rendered_file)

    def gateway_services(self) -> list[str]:
        """One service, `swarm.gateway.replicas` tasks."""
        return ["gateway"]

    def service_env(self, service: str) -> dict[str, str]:
        """The environment in the service's spec."""
        return self.stack.service_env(service)

    # -- reading the stack --------------------------------------------------------------

    def services(self, probe: bool = False) -> list[ServiceRow]:
        """One row per service from its spec and current tasks; `probe`: the gateway's
        and pump's running tasks must also pass their HTTP probe."""
        passing: set[str] | None = None
        tasks = [t for t in self.stack.tasks() if t.desired in ("running", "complete")]
        if probe:
            try:
                image = stack_images(self.model.settings)["redis"]
                passing = {i for ids in healthy_tasks(self.stack, image, PROBED).values()
                           for i in ids}
            except ToolError:
                passing = set()
        rows = []
        for s in self.stack.services():
            mine = [t for t in tasks if t.service == s.name]
            up = [t for t in mine if t.state == "running"]
            done = s.mode.endswith("job") and any(t.state == "complete" for t in mine)
            state = "complete" if done else "running" if mine and len(up) >= s.replicas \
                else "starting" if mine else "missing"
            health = ""
            if passing is not None and s.name in PROBED and up:
                health = "healthy" if all(t.id in passing for t in up) else "starting"
            errors = [t.error for t in mine if t.error]
            where = ", ".join(f"{t.slot or '-'}@{t.node}:{t.state}" for t in mine)
            detail = "" if state in ("running", "complete") and not errors else \
                "; ".join([where, *errors[:1]]).strip("; ")
            rows.append(ServiceRow(s.name, state, health, len(up),
                                   1 if s.name == INIT_SERVICE else s.replicas, detail))
        return rows

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        """Per service: `running` when all its wanted tasks run and none is starting or replaced."""
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

    def logs(self, services: Sequence[str] = (), tail: int | None = None) -> str:
        """Each service's logs, every task's (prefixed with the task)."""
        names = list(services) or [s.name for s in self.stack.services()]
        return "".join(self.stack.logs(name, tail=tail) for name in names)

    def follow_logs(self, services: Sequence[str] = (), tail: int | None = None) -> None:
        """Stream one service's logs (every task's); ConfigError for more than one."""
        if len(services) != 1:
            refuse(self, "follow-many", "--follow", "name one service, e.g. "
                   "`stackctl logs -f gateway`")
        swarm.follow_logs(self.stack.full(services[0]), tail, sys.stdout)

    def logs_since(self, service: str, since: float) -> str:
        """Every task's log lines of the service (`docker service logs --since`)."""
        return swarm.service_logs_since(self.stack.full(service), since)

    def local(self, service: str) -> swarm.LocalTask:
        """The service's running task container here; ToolError when there is none."""
        task = swarm.local_task(self.stack.full(service))
        if task is None:
            raise ToolError(f"{service}: no running task container on this node")
        return task

    def container_of(self, service: str) -> str | None:
        """Its running task container on this node."""
        task = swarm.local_task(self.stack.full(service))
        return task.container if task is not None else None

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run `command` in the service's task container here."""
        return swarm.exec_bounded(self.local(service).container, command, env, timeout)

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """In the node's own task container here, else another Redis one at its address."""
        source = SwarmSource(self.stack, self.model)
        source.refresh()
        return source.exec_node(node, command, env)

    @contextmanager
    def gate(self) -> Iterator[Exec]:
        """A probe container on the Redis overlay, removed when the block ends (errors too)."""
        model = self.model
        name = probe_name(model.settings.project)
        # The probe only sleeps, for `exec_bounded` calls that must reach the nodes.
        swarm.run_detached(name, stack_images(model.settings)["redis"],
                           self.stack.network(REDIS_NETWORK), (), probe_mounts(model),
                           {OWNER_LABEL: model.settings.project, ROLE_LABEL: PROBE_ROLE},
                           [str(PROBE_SECONDS)], swarm_env(model, STACKCTL_CLIENT),
                           ("--rm", "--user", "0:0", "--entrypoint", "sleep"))
        try:
            yield ProbeGate(name)
        finally:
            swarm.remove_container(name)

    # -- faults -------------------------------------------------------------------------

    def _act(self, services: Sequence[str], action: str, **kw: Any) -> None:
        for service in services:
            task = self.local(service)
            self.acted[service] = task  # the latest: a drill acts on a service repeatedly
            swarm.container_action(task.container, action, **kw)

    def kill(self, services: Sequence[str], signal: str = "SIGKILL") -> None:
        """`docker kill` of each task container here (Swarm then starts a new task)."""
        self._act(services, "kill", signal=signal)

    def stop(self, services: Sequence[str], timeout: int | None = None) -> None:
        """`docker stop` of each task container here (Swarm then starts a new task)."""
        self._act(services, "stop", timeout=timeout)

    def pause(self, services: Sequence[str]) -> None:
        """`docker pause` of each task container here."""
        self._act(services, "pause")

    def unpause(self, services: Sequence[str]) -> None:
        """`docker unpause` of the paused containers (one Swarm replaced is left alone)."""
        for service in services:
            task = self.acted.get(service)
            if task is not None and swarm.container_paused(task.container):
                swarm.container_action(task.container, "unpause")

    def start(self, services: Sequence[str]) -> None:
        """Wait until Swarm runs a new task for each (never `docker start` of the old container)."""
        wait_tasks(self.stack, dict.fromkeys(services, 1), self.start_wait_s,
                   what="drill restore")

    def restart(self, services: Sequence[str], timeout: int | None = None) -> None:
        """`docker service update --force`, until only new tasks are wanted and started."""
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

    def disconnect(self, service: str, network: str) -> None:
        """Refused (see UNSUPPORTED)."""
        raise ToolError(f"partition-primary: {UNSUPPORTED['scenario:partition-primary']}")

    def connect(self, service: str, network: str, ip: str) -> None:
        """Refused (see UNSUPPORTED)."""
        raise ToolError(f"partition-primary: {UNSUPPORTED['scenario:partition-primary']}")

    def networks_of(self, service: str) -> dict[str, str]:
        """The task container's networks here, with its address on each."""
        return dict(self.local(service).addresses)

    def note_task(self, service: str) -> None:
        """The task the fault acts on (its id, container and address)."""
        task = swarm.local_task(self.stack.full(service))
        if task is not None:
            self._before[service] = task

    def replacement(self, service: str) -> Callable[[], str] | None:
        """The Redis address of the new task Swarm started for `service` on any node ("" while
        none; starting counts: the node answers before its first healthcheck)."""
        before = self._before.get(service)
        if before is None:
            return None
        network = self.stack.network(REDIS_NETWORK)

        def check() -> str:
            new = [t for t in self.stack.tasks() if t.service == service
                   and t.desired == "running" and t.id != before.task_id
                   and t.state in ("starting", "running")]
            if not new:
                return ""
            self._replaced_at.setdefault(service, time.time())
            return swarm.task_addresses(new[0].id).get(network, "")
        return check

    def task_change(self, service: str, redis: bool) -> dict[str, Any] | None:
        """The noted task and the one here now: replaced or not, its address before and after."""
        if service not in self._before:
            return None
        network = self.stack.network(REDIS_NETWORK if redis else FRONT_NETWORK)
        before = self._before.pop(service)
        after = _task_dict(swarm.local_task(self.stack.full(service)), network)
        was = _task_dict(before, network)
        assert was is not None
        return {"before": was, "after": after,
                "replaced": after is not None and after["task_id"] != was["task_id"],
                "ip_changed": after is not None and after["ip"] != was["ip"],
                "replaced_seen_at": self._replaced_at.pop(service, None)}

    # -- meter and load -----------------------------------------------------------------

    def meter_source(self, gateway_services: Sequence[str]) -> MeterSource:
        """The stack's task containers on this node (gateway_services: every task)."""
        return SwarmSource(self.stack, self.model)

    def pool_timeouts(self, since: float) -> int:
        """In the logs of the gateway task containers on this node."""
        return pool_timeouts(self.stack, since)

    def load_site(self) -> LoadSite:
        """`swarm.load_replicas` load tasks on the front overlay; the baked-in API."""
        return LoadSite(self.model.settings.swarm.load_replicas,
                        f"http://gateway:{gateway_listen_port()}", LoadApi(own=False))

    def pump_records(self, api_id: str) -> int | None:
        """Rows in the pump task's tmpfs sink (`CSV_VOLUME`), printed by a Redis-image helper here
        (the pump has no shell); None when the pump's task is elsewhere or the sink unreadable."""
        if not self.stack.local_tasks().get("pump"):
            return None
        try:
            result = run_oneshot(stack_images(self.model.settings)["redis"],
                                 ["sh", "-c", "cat /csv/*.csv 2>/dev/null; true"], "none",
                                 volumes=[(self.stack.full(CSV_VOLUME), "/csv")])
        except ToolError:
            return None
        return count_in_text(result.stdout, api_id) if result.ok else None

    def pump_health_url(self) -> str | None:
        """None: the pump's task address is on an overlay this host does not join."""
        return None

    # -- the commands' reports, loads from the swarm (up: SwarmSteps, SwarmRecreate) ---

    def load_network(self) -> str:
        """The front overlay."""
        return self.stack.network(FRONT_NETWORK)

    def run_load_tasks(self, plan: LoadPlan, metered: bool
                       ) -> tuple[LoadResult, list[LoadResult], Cost | None, str]:
        """wrk from `swarm.load_replicas` load tasks on the front overlay (`metered`: metered)."""
        settings = self.model.settings
        meter = SwarmMeter(self.stack, self.model, plan.duration_s) if metered else None
        if meter is not None:
            meter.start()
        merged, per_task = run_load_tasks(self.stack, plan, settings.swarm.load_replicas,
                                          image("load").local, self.state_dir / "load",
                                          settings.project, meter=meter)
        if meter is None:
            return merged, per_task, None, "not metered"
        spent, note = meter.cost(per_task)
        return merged, per_task, spent, note

    def gateway_targets(self, ctx: StackContext) -> list[tuple[str, str]]:
        """The gateway service by name on the front overlay (the load tasks' way to every task)."""
        return [("gateway", self.load_site().url)]

    def check_settings(self) -> None:
        """ConfigError (exit 2) for a setting swarm cannot honour, then unless this is a manager."""
        check_swarm_settings(self.model.settings)
        swarm.require_manager()
