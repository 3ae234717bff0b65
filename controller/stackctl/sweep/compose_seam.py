"""The sweep on Compose: an API and keys through the gateway API, points as the
overrides file with gateway(s) and pump recreated (`apply`), load from this host
(`measure`), the nodes read through their containers (`probes`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stackctl.smoke.setup import SmokeSetup
from stackctl.sweep.measure import Target
from stackctl.sweep.points import Point, SweepOptions
from stackctl.sweep.probes import NodeClients

if TYPE_CHECKING:
    from stackctl.context import StackContext


@dataclass
class ComposeSweep:
    """`SweepRuntime` for engine = compose."""

    ctx: StackContext
    sctx: StackContext
    engine: str = "compose"
    apply_estimate_s: float = 30.0
    repeat_overhead_s: float = 8.0

    def ensure_running(self) -> None:
        from stackctl.sweep.run import ensure_running

        ensure_running(self.ctx)

    def create_target(self) -> SmokeSetup:
        from stackctl.context.gateway import stack_gateway
        from stackctl.sweep import target

        with stack_gateway(self.ctx) as gw:  # pro: APIs through the Dashboard
            return target.create(gw)

    def cleanup_target(self, made: SmokeSetup) -> list[str]:
        from stackctl.context.gateway import stack_gateway
        from stackctl.smoke.setup import cleanup

        with stack_gateway(self.ctx) as gw:
            problems = cleanup(gw, made)
        return problems + self.ctx.cluster.forget([k.key_hash for k in made.keys])

    def apply(self, point: Point) -> dict[str, str]:
        from stackctl.sweep.apply import apply_point

        return apply_point(self.sctx, point)

    def wait_serving(self, made: SmokeSetup) -> None:
        from stackctl.clients.gateway import GatewayClient
        from stackctl.smoke.setup import wait_serving

        with GatewayClient(self.ctx.gateway_url) as gw:
            wait_serving(gw, made)

    def target(self, made: SmokeSetup) -> Target:
        from stackctl.sweep import target
        from stackctl.sweep.apply import gateway_bases, gateway_services

        return Target(gateway_services(self.sctx), gateway_bases(self.sctx),
                      made.listen_path, target.raw_keys(made))

    def run_repeat(self, options: SweepOptions, target: Target) -> dict[str, Any]:
        from stackctl.sweep.measure import run_repeat

        return run_repeat(self.sctx, options, target)

    def restore(self) -> None:
        from stackctl.sweep.apply import restore

        restore(self.ctx)

    def node_clients(self) -> list[NodeClients]:
        return self.ctx.cluster.clients()

    def load_note(self, options: SweepOptions) -> str:
        return (f"builtin closed loop ({options.connections} connections, "
                f"{options.duration_s} s after a {options.warmup_s} s warm-up) against each "
                f"gateway's front-network address, then builtin open model at "
                f"{options.rate} req/s on the published gateway")
