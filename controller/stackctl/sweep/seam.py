"""The sweep's per-runtime seam: what differs between Compose and Swarm (checking the
stack runs, the API and keys, putting a point on and the stack back, one repeat's load
and meter, the Redis clients probe). `run.py` drives one loop over either."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from stackctl.load.keys import SmokeSetup
from stackctl.sweep.measure import Target
from stackctl.sweep.points import Point, SweepOptions
from stackctl.sweep.probes import NodeClients

if TYPE_CHECKING:
    from stackctl.context import StackContext


class SweepRuntime(Protocol):
    """One runtime's side of the sweep; `ctx` is the stack as up made it, the seam also
    holds the sweep's copy with `--gateways` gateways."""

    engine: str
    apply_estimate_s: float
    """Seconds putting a point on is expected to take (the time budget)."""
    repeat_overhead_s: float
    """Seconds a repeat costs beyond its load runs."""

    def ensure_running(self) -> None:
        """ConfigError (exit 2) unless the stack runs (nothing changed then)."""

    def create_target(self) -> SmokeSetup:
        """The API the sweep loads and its unlimited keys."""

    def cleanup_target(self, made: SmokeSetup) -> list[str]:
        """Remove what `create_target` made; the problems met (best effort)."""

    def apply(self, point: Point) -> dict[str, str]:
        """Put `point` on the gateway(s) and the pump and wait until they serve; the
        gateway's environment as applied (checked against the point)."""

    def wait_serving(self, made: SmokeSetup) -> None:
        """Until the sweep's API answers 200 with a key."""

    def target(self, made: SmokeSetup) -> Target:
        """Where the load goes."""

    def run_repeat(self, options: SweepOptions, target: Target) -> dict[str, Any]:
        """One measured repeat: JSON-ready figures (see `measure.run_repeat`)."""

    def restore(self) -> None:
        """The stack's own gateway and pump settings back (runs in a finally)."""

    def node_clients(self) -> list[NodeClients]:
        """Redis clients and maxclients per node, read now."""

    def load_note(self, options: SweepOptions) -> str:
        """How the load is made, one sentence for the report."""


def sweep_runtime(ctx: StackContext, sctx: StackContext,
                  say: Callable[[str], None] = lambda _line: None) -> SweepRuntime:
    """The seam for the stack's engine (`say`: progress lines)."""
    if ctx.model.settings.engine == "swarm":
        from stackctl.sweep.swarm_seam import SwarmSweep

        return SwarmSweep(ctx, sctx, say=say)
    from stackctl.sweep.compose_seam import ComposeSweep

    return ComposeSweep(ctx, sctx)
