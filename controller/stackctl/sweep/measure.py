"""One repeat of one point: warm up, saturate with wrk (sampling Redis clients, CPU and
memory halfway), then the fixed-rate run; pool timeouts counted from the logs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stackctl.sweep import loadrun, probes
from stackctl.sweep.points import SweepOptions

if TYPE_CHECKING:
    from stackctl.steps.context import StepContext

LOAD_DIR = "sweep-load"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """Where the load goes: the gateways (service names), the API path and the keys."""

    gateways: list[str]
    path: str
    keys: tuple[str, ...]


def _sample(ctx: StepContext, gateways: list[str], delay: float, out: dict[str, Any],
            stop: threading.Event) -> None:
    if stop.wait(delay):
        return
    clients = probes.redis_clients(ctx.compose, ctx.model)
    out["redis_clients"] = {c.node: c.connected for c in clients}
    out["maxclients_live"] = max((c.maxclients for c in clients), default=0)
    cpu, mem = probes.gateway_usage(ctx.compose, gateways)
    out["gateway_cpu_percent"] = cpu
    out["gateway_mem_mib"] = round(mem / MIB, 1)


def run_repeat(ctx: StepContext, options: SweepOptions, target: Target) -> dict[str, Any]:
    """Measure once; a dict of JSON-ready figures."""
    project = ctx.model.settings.project
    work = ctx.state_dir / LOAD_DIR
    if options.warmup_s > 0:
        loadrun.closed_loop(project, target.gateways, target.path, target.keys,
                            options.warmup_s, options.connections, work)
    before = probes.pool_timeouts(ctx.compose, target.gateways)
    sampled: dict[str, Any] = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, daemon=True, name="sweep-sample",
                               args=(ctx, target.gateways, options.duration_s / 2, sampled,
                                     stop))
    sampler.start()
    try:
        closed = loadrun.closed_loop(project, target.gateways, target.path, target.keys,
                                     options.duration_s, options.connections, work)
    finally:
        stop.set()
        sampler.join(timeout=30)
    fixed = loadrun.fixed_rate(ctx.gateway_url, target.path, target.keys, options.rate,
                               options.duration_s)
    after = probes.pool_timeouts(ctx.compose, target.gateways)
    return {"closed": closed.as_dict(), "fixed": fixed.as_dict(),
            "pool_timeouts": max(0, after - before), **sampled}
