"""The sweep on Swarm (`SweepRuntime` for engine = swarm): the stack must run as these
settings render it; keys for the smoke API baked into every gateway task (an API made
through the gateway API would land in one task's files only); points deployed through
`swarm_apply`, load from the load service's tasks (`swarm_measure`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stackctl.errors import ConfigError
from stackctl.load.keys import SmokeSetup
from stackctl.sweep.measure import Target
from stackctl.sweep.points import Point, SweepOptions
from stackctl.sweep.probes import NodeClients

if TYPE_CHECKING:
    from stackctl.context import StackContext


@dataclass
class SwarmSweep:
    """`SweepRuntime` for engine = swarm."""

    ctx: StackContext
    sctx: StackContext
    engine: str = "swarm"
    apply_estimate_s: float = 45.0
    repeat_overhead_s: float = 15.0
    """Each load run is a job: created, scheduled, its logs read (a few seconds each)."""
    groups: int | None = None
    applied: dict[str, list[str]] = field(default_factory=dict)
    """Per service, the variables the points set (gone again after `restore`)."""
    say: Callable[[str], None] = field(default=lambda _line: None)
    """Progress lines (the deploys and their waits)."""

    def ensure_running(self) -> None:
        """A manager, a stack rendered here whose gateway and pump tasks run, and a
        render of these settings that changes nothing of it (else exit 2, nothing
        deployed)."""
        from stackctl.runtime.swarm import require_manager
        from stackctl.swarm.stackfile import STACK_FILE
        from stackctl.swarm.wait import progress
        from stackctl.sweep.swarm_apply import check_pool_only, placement_groups, render

        settings = self.ctx.model.settings
        if not (self.ctx.state_dir / STACK_FILE).is_file():
            raise ConfigError(str(self.ctx.state_dir / STACK_FILE), "no swarm stack rendered "
                              "here", "run `stackctl up --engine swarm` first, with the same "
                              "settings and directory")
        require_manager()
        now = progress(self.ctx.stack.tasks(), {"gateway": 1, "pump": 1}).running
        down = [s for s, n in now.items() if n < 1]
        if down:
            raise ConfigError(f"stack {settings.project}", f"not running on swarm "
                              f"({', '.join(down)} down)", "run `stackctl up` first, with "
                              "the same settings and directory")
        self.groups = placement_groups(self.ctx)
        changed = render(self.ctx, self.groups)
        check_pool_only(changed, settings.project)
        if changed:
            raise ConfigError(f"stack {settings.project}", "runs with other gateway or pump "
                              f"settings than these (the render changes "
                              f"{', '.join(changed)})", "run `stackctl up` with these "
                              "settings first, then the sweep")

    def create_target(self) -> SmokeSetup:
        from stackctl.clients.gateway import GatewayClient
        from stackctl.steps.bootstrap import API_ID, LISTEN_PATH
        from stackctl.sweep import target
        from stackctl.sweep.swarm_measure import sweep_keys

        keys = sweep_keys(self.sctx.model.settings.gateway.replicas, target.KEYS)
        with GatewayClient(self.ctx.gateway_url, self.ctx.secrets.gateway_secret) as gw:
            return target.create_keys(gw, API_ID, LISTEN_PATH, keys)

    def cleanup_target(self, made: SmokeSetup) -> list[str]:
        from stackctl.clients.gateway import GatewayClient
        from stackctl.load.keys import delete_keys

        with GatewayClient(self.ctx.gateway_url, self.ctx.secrets.gateway_secret) as gw:
            return delete_keys(gw, made.keys)

    def apply(self, point: Point) -> dict[str, str]:
        from stackctl.sweep.overrides import point_env
        from stackctl.sweep.swarm_apply import apply_point

        for service, env in point_env(point).items():
            names = self.applied.setdefault(service, [])
            names += [n for n in env if n not in names]
        return apply_point(self.sctx, point, self.groups, self.say)

    def wait_serving(self, made: SmokeSetup) -> None:
        from stackctl.clients.gateway import GatewayClient
        from stackctl.load.keys import wait_serving

        with GatewayClient(self.ctx.gateway_url) as gw:
            wait_serving(gw, made)

    def target(self, made: SmokeSetup) -> Target:
        from stackctl.sweep import target
        from stackctl.tyk.lookup import gateway_listen_port

        return Target(["gateway"], [f"http://gateway:{gateway_listen_port()}"],
                      made.listen_path, target.raw_keys(made))

    def run_repeat(self, options: SweepOptions, target: Target) -> dict[str, Any]:
        from stackctl.sweep.swarm_measure import run_repeat

        return run_repeat(self.sctx, options, target)

    def restore(self) -> None:
        from stackctl.sweep.swarm_apply import restore

        restore(self.ctx, self.groups, self.applied, self.say)

    def node_clients(self) -> list[NodeClients]:
        from stackctl.sweep.probes import swarm_clients

        return swarm_clients(self.ctx.stack, self.ctx.model)

    def load_note(self, options: SweepOptions) -> str:
        tasks = self.ctx.model.settings.swarm.load_replicas
        return (f"wrk closed loop from {tasks} load task(s) on the front overlay "
                f"({options.connections} connections in total, {options.duration_s} s "
                f"after a {options.warmup_s} s warm-up), each task's threads spread over "
                f"the gateway's tasks; percentiles are the highest task's; then builtin "
                f"open model at {options.rate} req/s from this host through "
                f"{self.ctx.gateway_url} (wrk has no fixed arrival rate)")
