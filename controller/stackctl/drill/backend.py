"""The drill's seam to the runtime: what differs between a Compose stack and a Swarm stack
behind one small interface, so the drill itself (target choice by live role, the load and
its timeline, the polls, the figures, the report, the restore's waits) is written once.

Per runtime: which object the scenarios' `Faults` go to (Compose itself; on swarm the
task's container on this node), the gate the cluster is asked through (the Compose gate
service; on swarm a probe container on the Redis overlay), the log reader, how the pump's
delivered records are counted, which API the load uses, the stack's readiness after a
scenario, what cannot be done (refused before anything is touched), and what a Swarm task
replacement looked like. `backend_for(ctx)` picks one by `engine`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from stackctl.drill.scenarios.base import Faults, Scenario, Target

if TYPE_CHECKING:
    from stackctl.clients.gateway import GatewayClient
    from stackctl.cluster.readiness import ClusterNode
    from stackctl.context import StackContext
    from stackctl.drill.observe import Gate
    from stackctl.smoke.setup import SmokeSetup

STEP = "drill-restore"


class Backend(Protocol):
    """One runtime's side of the drill."""

    engine: str
    faults: Faults
    gate: Gate

    def refuse(self, scenario: Scenario, target: Target) -> None:
        """ConfigError (exit 2) when `scenario` cannot act on `target` here; nothing
        has been touched yet."""

    def make_api(self, gw: GatewayClient, view: Sequence[ClusterNode], keys: int
                 ) -> SmokeSetup:
        """The API the load calls and its keys (covering every primary)."""

    def drop_api(self, gw: GatewayClient, made: SmokeSetup) -> list[str]:
        """Remove what `make_api` made; the problems met."""

    def delivered(self, api_id: str) -> int:
        """Analytics records the pump delivered for `api_id` so far in this run."""

    def logs_since(self, service: str, since: float) -> str:
        """A service's log lines since `since` (epoch seconds)."""

    def before_fault(self, scenario: Scenario, target: Target) -> None:
        """Note what the fault is about to act on (swarm: the task)."""

    def replaced(self, target: Target) -> Callable[[], str] | None:
        """The address of a new task now running the target ("" while none; swarm);
        None where a node never comes back by itself (Compose)."""

    def wait_ready(self, timeout: float) -> float:
        """Seconds until the stack is whole again after a scenario (StepError)."""

    def task_report(self, target: Target) -> dict[str, Any] | None:
        """What the runtime did with the target's task (swarm), for the report."""


class ComposeBackend:
    """Compose: the faults act through `Compose` itself, the cluster is asked through
    the gate service, the pump's csv sink is a host directory, the drill makes its own
    API (its records are then exactly this run's)."""

    engine = "compose"

    def __init__(self, ctx: StackContext):
        self.ctx = ctx
        self.faults: Faults = ctx.compose
        self.gate: Gate = ctx.compose

    def refuse(self, scenario: Scenario, target: Target) -> None:
        """Every scenario runs on Compose."""

    def make_api(self, gw: GatewayClient, view: Sequence[ClusterNode], keys: int
                 ) -> SmokeSetup:
        """A fresh API and its keys (`drill.keys.create`)."""
        from stackctl.drill import keys as api

        return api.create(gw, view, keys)

    def drop_api(self, gw: GatewayClient, made: SmokeSetup) -> list[str]:
        """The keys and the API deleted."""
        from stackctl.smoke.setup import cleanup

        return cleanup(gw, made)

    def delivered(self, api_id: str) -> int:
        """Rows for the run's own API in the csv sink (a host directory)."""
        from stackctl.context.render import ANALYTICS_DIR
        from stackctl.smoke.analytics import count_records

        return count_records(self.ctx.state_dir / ANALYTICS_DIR, api_id)

    def logs_since(self, service: str, since: float) -> str:
        """The service container's log."""
        return self.ctx.compose.service_log_since(service, since)

    def before_fault(self, scenario: Scenario, target: Target) -> None:
        """Nothing to note: the container keeps its name."""

    def replaced(self, target: Target) -> Callable[[], str] | None:
        """A Compose node stays down until the restore starts it."""
        return None

    def wait_ready(self, timeout: float) -> float:
        """The cluster's own readiness (`ClusterAccess.wait_ready`: the gate's rule, or
        nothing to wait for on a cluster the drill never touched)."""
        return self.ctx.cluster.wait_ready(timeout, STEP)

    def task_report(self, target: Target) -> dict[str, Any] | None:
        """Compose has no tasks."""
        return None


@contextmanager
def backend_for(ctx: StackContext) -> Iterator[Backend]:
    """The backend of the stack's engine, open for the drill (swarm: its probe container
    runs until the drill ends, also on errors and Ctrl-C)."""
    if ctx.model.settings.engine != "swarm":
        yield ComposeBackend(ctx)
        return
    from stackctl.drill.swarm_backend import SwarmBackend

    backend = SwarmBackend(ctx)
    backend.open()
    try:
        yield backend
    finally:
        backend.close()
