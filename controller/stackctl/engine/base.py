"""The one interface every action drives a stack through, whatever runs it: `ComposeEngine`
and `SwarmEngine` implement it side by side and `engine_for` is the only place that
names one. Actions never branch on `settings.engine`; what one engine cannot do is
refused with one reason from `unsupported(feature)` (`refuse`: exit 2, nothing touched)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from stackctl.errors import ConfigError
from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.meter.cost import Cost
from stackctl.meter.snapshot import MeterSource
from stackctl.names import SMOKE_API_ID, SMOKE_LISTEN_PATH
from stackctl.pipeline import Outcome
from stackctl.runtime.docker_cli import Exec, ExecResult, ServiceState
from stackctl.tyk.apidef import api_definition

if TYPE_CHECKING:
    from stackctl.context import StackContext

__all__ = ["SMOKE_API_ID", "SMOKE_LISTEN_PATH", "Engine", "Exec", "ExecResult", "LoadApi",
           "LoadSite", "ServiceRow", "ServiceState", "refuse"]



@dataclass(frozen=True)
class ServiceRow:
    """One service of the stack, the same shape on both engines."""

    service: str
    state: str
    """running | starting | complete (a one-shot that finished) | exited | missing"""
    health: str
    """healthy | unhealthy | starting | "" (nothing to judge it by)"""
    running: int
    """Containers (compose) or tasks (swarm) running now."""
    wanted: int
    """Containers or tasks the stack wants."""
    detail: str = ""
    """Why it is not running: an exit code, a task's error, where its tasks run."""

    def as_dict(self) -> dict[str, Any]:
        """JSON view (`status --json`)."""
        return {"service": self.service, "state": self.state, "health": self.health,
                "running": self.running, "wanted": self.wanted, "detail": self.detail}


@dataclass(frozen=True)
class LoadApi:
    """The API a load calls. `own`: a fresh API for the run (its analytics records are the
    run's); else the one baked into every gateway (a swarm task's own would serve only it)."""

    own: bool
    api_id: str = SMOKE_API_ID
    listen_path: str = SMOKE_LISTEN_PATH


@dataclass(frozen=True)
class LoadSite:
    """Where a load runs and what it calls, decided once per engine."""

    tasks: int
    """Load tasks on the swarm (0: wrk and the builtin engine run on this host)."""
    url: str
    """The gateway as the load tasks reach it (the host's URL when `tasks` is 0)."""
    api: LoadApi


class Engine(Exec, Protocol):
    """One engine's side of every action (see the module's docstring)."""

    name: str
    """`compose` or `swarm` (reports and JSON only: never branched on)."""
    note: str
    """How this engine changes what a report measured (one paragraph; "": nothing)."""

    # -- refusals -----------------------------------------------------------------------

    def unsupported(self, feature: str) -> str | None:
        """Why `feature` (e.g. `scenario:stop-pump`, `vary`, `fault:redis-1`) cannot be
        done here, or None when it can."""

    # -- life cycle ---------------------------------------------------------------------

    @property
    def rendered_file(self) -> Path:
        """The file the render step writes and `deploy` reads."""

    def deploy(self, services: Sequence[str] | None = None) -> None:
        """Create or update the stack (or only `services`) from the rendered file."""

    def wait_running(self, timeout: float, what: str = "services",
                     services: Sequence[str] | None = None) -> None:
        """Until every long-running service (or `services`) runs and passes its check; ToolError."""

    def require_running(self) -> None:
        """ConfigError (exit 2, one line) unless the stack runs with these settings."""

    def remove(self, volumes: bool = False) -> dict[str, list[str]]:
        """Take the stack down (volumes too when asked); what is left, by kind."""

    def recreate(self, services: Sequence[str], remove_orphans: bool = False) -> None:
        """Recreate `services` from the re-rendered file; returns once Docker accepted it."""

    def gateway_services(self) -> list[str]:
        """The gateway services (compose: one per gateway; swarm: one, with replicas)."""

    def service_env(self, service: str) -> dict[str, str]:
        """The environment the service's (first) container runs with."""

    # -- reading the stack --------------------------------------------------------------

    def services(self, probe: bool = False) -> list[ServiceRow]:
        """Every service, one row each; `probe` decides Docker's `starting` by a check run now."""

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        """The named services' current state (polling loops; the drill's Faults)."""

    def logs(self, services: Sequence[str] = (), tail: int | None = None) -> str:
        """The services' logs (all when none named)."""

    def follow_logs(self, services: Sequence[str] = (), tail: int | None = None) -> None:
        """Stream the services' logs to stdout until interrupted."""

    def logs_since(self, service: str, since: float) -> str:
        """One service's log lines since `since` (epoch seconds)."""

    def container_of(self, service: str) -> str | None:
        """A running container of the service on this machine (None: none here)."""

    def exec_node(self, node: str, command: Sequence[str], env: Mapping[str, str]
                  ) -> ExecResult:
        """Run `command` against the Redis node `node` (meter.commandstats.NodeExec)."""

    def gate(self) -> AbstractContextManager[Exec]:
        """Where the cluster is asked, open for a `with` block (Compose's gate; a swarm probe)."""

    # -- faults (drill.scenarios.base.Faults) -------------------------------------------

    def kill(self, services: Sequence[str], signal: str = "SIGKILL") -> None:
        """Send `signal` to the services' containers."""

    def stop(self, services: Sequence[str], timeout: int | None = None) -> None:
        """Stop the services' containers gracefully."""

    def pause(self, services: Sequence[str]) -> None:
        """Freeze the services' processes."""

    def unpause(self, services: Sequence[str]) -> None:
        """Thaw the paused ones."""

    def start(self, services: Sequence[str]) -> None:
        """Bring stopped or killed services back (swarm: wait for Swarm's new task)."""

    def restart(self, services: Sequence[str], timeout: int | None = None) -> None:
        """Restart the services."""

    def disconnect(self, service: str, network: str) -> None:
        """Take the service's container off a stack network."""

    def connect(self, service: str, network: str, ip: str) -> None:
        """Put it back at `ip`."""

    def networks_of(self, service: str) -> dict[str, str]:
        """The stack networks the service's container is on, with its address on each."""

    def note_task(self, service: str) -> None:
        """Remember what runs `service` now, before a fault (swarm: its task)."""

    def replacement(self, service: str) -> Callable[[], str] | None:
        """A check giving the Redis address of a new task now running `service` ("" while
        none); None where a node never comes back by itself (Compose)."""

    def task_change(self, service: str, redis: bool) -> dict[str, Any] | None:
        """What the engine did with the noted task since `note_task` (report; swarm)."""

    # -- meter and load -----------------------------------------------------------------

    def meter_source(self, gateway_services: Sequence[str]) -> MeterSource:
        """Where a meter snapshot reads the gateways and Redis nodes on this machine."""

    def pool_timeouts(self, since: float) -> int:
        """Redis pool-timeout lines in the gateways' logs since `since` (epoch seconds)."""

    def load_site(self) -> LoadSite:
        """Where loads run and the API they call."""

    def pump_records(self, api_id: str) -> int | None:
        """Records for `api_id` in the pump's csv sink now; None when unreadable from here."""

    def pump_health_url(self) -> str | None:
        """The pump's health endpoint's base URL as this host reaches it (the drill's
        probes); None where this host cannot reach it."""
        ...

    # -- up's steps, the commands' reports, loads from the swarm --------------------------

    def preflight(self, ctx: StackContext, refs: list[str]) -> str:
        """The engine's own checks before anything starts (images `refs` too); its verdict."""

    def render(self, ctx: StackContext) -> str:
        """Write every file the stack runs from (`rendered_file` among them)."""

    def roll_out(self, ctx: StackContext) -> str | Outcome:
        """Create or update the whole stack at once where the engine does (swarm)."""

    def start_redis(self, ctx: StackContext) -> str | Outcome:
        """The Redis nodes running and the cluster ready (StepError)."""

    def start_tyk(self, ctx: StackContext) -> str:
        """upstream, gateway and pump running and healthy (StartupFailure / StepError)."""

    def failure_logs(self, lines: int) -> str:
        """The last log lines of what is not running, for a failed `up` ("": none)."""

    def load_network(self) -> str:
        """The network a one-off load container joins to reach `gateway` by name."""

    def run_load_tasks(self, plan: LoadPlan, metered: bool
                       ) -> tuple[LoadResult, list[LoadResult], Cost | None, str]:
        """`plan` from the load tasks: merged, each task's, the cost (None, and why, unmetered)."""

    def recreate_env(self, ctx: StackContext, want: Mapping[str, Mapping[str, str | None]],
                     say: Callable[[str], None]) -> dict[str, str]:
        """Re-render from `ctx` (overrides file, gateway replicas), recreate gateway(s) and pump,
        wait for Redis pass, check `want` (None: unset); the gateway's env for the names asked."""

    def drifted(self, ctx: StackContext) -> list[str]:
        """What a render of `ctx` changes that a recreate would not (ConfigError past those)."""

    def gateway_targets(self, ctx: StackContext) -> list[tuple[str, str]]:
        """Each gateway (service name, base URL) as the engine's loads reach it."""

    def check_settings(self) -> None:
        """ConfigError (exit 2, nothing started) for a setting this engine cannot honour."""


def refuse(engine: Engine, feature: str, setting: str, fix: str = "") -> None:
    """ConfigError (exit 2) naming `setting` where the engine cannot do `feature`."""
    why = engine.unsupported(feature)
    if why is not None:
        other = "a Compose stack (engine = compose)" if engine.name == "swarm" else \
            "a swarm stack (engine = swarm)"
        raise ConfigError(setting, f"not on engine = {engine.name}: {why}",
                          fix or f"run it on {other}")


def smoke_api() -> dict[str, Any]:
    """The API `up` bootstraps (the shared builder's, at SMOKE_LISTEN_PATH)."""
    return api_definition(SMOKE_API_ID, SMOKE_LISTEN_PATH)
