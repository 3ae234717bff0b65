"""engine = compose: the stack as one Compose project on this Docker engine. Every fault,
exec and log is local; the cluster is asked through the gate service; the pump's csv
sink is a host directory; a load runs here and makes its own API (its records are
exactly the run's)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackctl.engine.base import LoadApi, LoadSite, ServiceRow
from stackctl.engine.compose_up import ComposeSteps
from stackctl.errors import ConfigError, ToolError
from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.meter.cost import Cost
from stackctl.meter.delivered import ANALYTICS_DIR, count_records
from stackctl.meter.pool import count_pool_timeouts
from stackctl.meter.snapshot import MeterSource
from stackctl.model import StackModel
from stackctl.names import FRONT_NETWORK, INIT_SERVICE
from stackctl.render.stack import COMPOSE_FILE
from stackctl.runtime.compose import Compose
from stackctl.runtime.docker_cli import Exec, ExecResult, ServiceState
from stackctl.runtime.health import probed, read_healthchecks
from stackctl.runtime.usage import Unavailable
from stackctl.tyk.lookup import gateway_listen_port
from stackctl.tyk.render_pump import HEALTH_PORT

if TYPE_CHECKING:
    from stackctl.context import StackContext

POLL_S = 0.5
ONE_SHOTS = (INIT_SERVICE,)
"""Services that run once and exit 0 (complete, not down)."""


@dataclass(frozen=True)
class ComposeSource:
    """A `MeterSource` on Compose: the gateway services' and nodes' first containers, exec there."""

    compose: Compose
    model: StackModel
    gateway_services: Sequence[str]

    def gateways(self) -> Mapping[str, str]:
        """By service name."""
        return {s: self.compose.container(s) for s in self.gateway_services}

    def nodes(self) -> Mapping[str, str | Unavailable]:
        """Every node has its container."""
        return {n.name: self.compose.container(n.name) for n in self.model.nodes}

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """`docker exec` in the node's container."""
        return self.compose.exec(node, list(command), env=dict(env))


def service_rows(states: Sequence[ServiceState]) -> list[ServiceRow]:
    """`compose ps` (health probed) -> one row per service."""
    by: dict[str, list[ServiceState]] = {}
    for s in states:
        by.setdefault(s.service, []).append(s)
    rows = []
    for service, mine in sorted(by.items()):
        up = [s for s in mine if s.state == "running"]
        done = service in ONE_SHOTS and all(s.state == "exited" and s.exit_code == 0
                                            for s in mine)
        bad = next((s for s in mine if s.state != "running"), None)
        state = "complete" if done else "running" if len(up) == len(mine) else \
            (bad.state if bad else "missing")
        healths = {s.health for s in up}
        health = next((h for h in ("unhealthy", "starting", "healthy") if h in healths), "")
        detail = "" if done or bad is None else f"{bad.name} {bad.state} (exit {bad.exit_code})"
        rows.append(ServiceRow(service, state, health, len(up), len(mine), detail))
    return rows


class ComposeEngine(ComposeSteps):
    """The `Engine` of a Compose stack: its project's `Compose` (exec, logs, faults are its own)."""

    name = "compose"
    note = ""

    def __init__(self, model: StackModel):
        self.model = model
        self.state_dir = model.settings.state_dir
        super().__init__(model.settings.project, [self.rendered_file],
                         project_dir=self.state_dir)

    # -- refusals -----------------------------------------------------------------------

    def unsupported(self, feature: str) -> str | None:
        """Compose does everything stackctl offers."""
        return None

    # -- life cycle ---------------------------------------------------------------------

    @property
    def rendered_file(self) -> Path:
        """The compose file."""
        return self.state_dir / COMPOSE_FILE

    def gateway_services(self) -> list[str]:
        """The gateway services the rendered stack has (gateway, gateway-2, ...)."""
        n = self.model.settings.gateway.replicas
        return ["gateway", *(f"gateway-{i}" for i in range(2, n + 1))]

    def deploy(self, services: Sequence[str] | None = None) -> None:
        """`compose up --detach` (no `--wait`: `wait_running` decides)."""
        self.up(services, wait=False)

    def wait_running(self, timeout: float, what: str = "services",
                     services: Sequence[str] | None = None) -> None:
        """Until every container (or the named services' first ones) runs, one-shots complete and
        each passes its own check run now; ToolError when one stopped, or at the deadline."""
        checks = read_healthchecks(self.rendered_file)
        deadline = time.monotonic() + timeout
        while True:
            states = self.ps() if services is None else self.states(services)
            # Docker's verdict may be a minute old (e.g. from before an unpause): ask now.
            states = [replace(s, health="starting") if s.health == "unhealthy" else s
                      for s in states]
            rows = service_rows(probed(self, states, checks))
            down = [r for r in rows if r.state in ("exited", "dead")]
            if down:
                raise ToolError(f"{what}: {down[0].detail} while waiting for it: see "
                                f"`stackctl logs {down[0].service}`")
            late = [r.service + (f" ({r.health})" if r.health else f" ({r.state})")
                    for r in rows if r.state not in ("running", "complete")
                    or r.health not in ("healthy", "")]
            late += sorted(set(services or ()) - {r.service for r in rows})
            if rows and not late:
                return
            if time.monotonic() >= deadline:
                raise ToolError(f"{what} not running and healthy after {timeout:.0f} s: "
                                + (", ".join(late) or "no container"))
            time.sleep(POLL_S)

    def require_running(self) -> None:
        """The gateway and the pump run (ConfigError, exit 2)."""
        running = {s.service for s in self.ps() if s.state == "running"}
        missing = [s for s in ("gateway", "pump") if s not in running]
        if missing:
            raise ConfigError(f"stack {self.model.settings.project}",
                              f"not running ({', '.join(missing)} down)",
                              "run `stackctl up` first, with the same settings and directory")

    def remove(self, volumes: bool = False) -> dict[str, list[str]]:
        """`compose down --remove-orphans [--volumes]`; nothing is left."""
        self.down(volumes=volumes)
        return {}

    def recreate(self, services: Sequence[str], remove_orphans: bool = False) -> None:
        """`compose up --no-deps` of the services (Compose recreates a changed one)."""
        self.up(services, wait=False, remove_orphans=remove_orphans, no_deps=True)

    def service_env(self, service: str) -> dict[str, str]:
        """The first container's environment (`docker inspect`)."""
        return self.env(service)

    # -- reading the stack --------------------------------------------------------------

    def services(self, probe: bool = False) -> list[ServiceRow]:
        """One row per service from `docker ps` on the project's labels."""
        states = self.ps()
        if probe:
            states = probed(self, states, read_healthchecks(self.rendered_file))
        return service_rows(states)

    def logs_since(self, service: str, since: float) -> str:
        """The service container's log since `since`."""
        return self.service_log_since(service, since)

    def container_of(self, service: str) -> str | None:
        """Its first container (by Compose's naming)."""
        return self.container(service)

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """In the node's own container."""
        return self.exec(node, list(command), env=dict(env))

    @contextmanager
    def gate(self) -> Iterator[Exec]:
        """The gate service (always there while the stack runs)."""
        yield self

    # -- faults -------------------------------------------------------------------------

    def note_task(self, service: str) -> None:
        """Nothing to note: the container keeps its name."""

    def replacement(self, service: str) -> Callable[[], str] | None:
        """A Compose node stays down until the restore starts it."""
        return None

    def task_change(self, service: str, redis: bool) -> dict[str, Any] | None:
        """Compose has no tasks."""
        return None

    # -- meter and load -----------------------------------------------------------------

    def meter_source(self, gateway_services: Sequence[str]) -> MeterSource:
        """The project's containers here."""
        return ComposeSource(self, self.model, gateway_services)

    def pool_timeouts(self, since: float) -> int:
        """In every gateway container's log since `since`."""
        return sum(count_pool_timeouts(self.service_log_since(s, since))
                   for s in self.gateway_services())

    def load_site(self) -> LoadSite:
        """This host, through the published gateway; a fresh API per run."""
        s = self.model.settings
        return LoadSite(0, f"http://{s.network.bind}:{s.gateway.port}", LoadApi(own=True))

    def pump_records(self, api_id: str) -> int | None:
        """Rows in the csv sink's host directory."""
        return count_records(self.state_dir / ANALYTICS_DIR, api_id)

    def pump_health_url(self) -> str | None:
        """The pump container's front-network address, from this host."""
        return f"http://{self.model.front_ip('pump')}:{HEALTH_PORT}"

    # -- the commands' reports, loads from the swarm (up's steps: ComposeSteps) ---------

    def load_network(self) -> str:
        """The front network, for a one-off load container."""
        return self.network(FRONT_NETWORK)

    def run_load_tasks(self, plan: LoadPlan, metered: bool
                       ) -> tuple[LoadResult, list[LoadResult], Cost | None, str]:
        """Compose runs no load tasks (`load_site().tasks` is 0)."""
        raise ToolError("engine = compose runs no load tasks: loads run on this host")

    def gateway_targets(self, ctx: StackContext) -> list[tuple[str, str]]:
        """Every gateway container (gateway, gateway-2, ...) at its front-network address
        as this host reaches it (no published port's proxy in the path)."""
        port = gateway_listen_port()
        return [(name, f"http://{ctx.model.front_ip('gateway', i)}:{port}")
                for i, name in enumerate(self.gateway_services())]

    def check_settings(self) -> None:
        """Compose runs every setting."""
