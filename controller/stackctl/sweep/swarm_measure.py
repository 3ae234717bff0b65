"""One repeat of one point on swarm. The host does not reach the overlay, so the
closed-loop saturation comes from the load service's tasks (`swarm.load`: wrk flat out,
the connections split over `swarm.load_replicas` tasks, each task's threads spread over
the gateway's tasks). wrk has no fixed arrival rate (its `rate` is a pause per
connection: a closed model, latencies not corrected for coordinated omission), so the
fixed-rate run is the builtin open-model engine from this host through the host's way to
the gateway (the local access proxy, or the published port), as Compose's goes through
the published port. What the closed loop cost and who saturated come from the swarm
meter (`swarm.meter`: snapshots inside the run, the local gateway and Redis task
containers), its steadiness from the tasks' answers per slice of time (throughput only:
wrk gives no per-request times); Redis clients and pool timeouts through the local task
containers, as on Compose through the services' containers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.load.stats import Slice
from stackctl.meter.cost import Cost
from stackctl.swarm.load import TaskMeter
from stackctl.sweep import loadrun
from stackctl.sweep.measure import Target
from stackctl.sweep.points import SweepOptions
from stackctl.sweep.probes import NodeClients

if TYPE_CHECKING:
    from stackctl.context import StackContext


def closed_loop(ctx: StackContext, target: Target, duration_s: float, connections: int,
                meter: TaskMeter | None = None) -> tuple[LoadResult, list[LoadResult]]:
    """wrk flat out from the load tasks against the gateway's name on the front overlay;
    the merged result and each task's (`meter` hears when all run and when all ended)."""
    from stackctl.swarm.load import run_load_tasks
    from stackctl.versions import image

    settings = ctx.model.settings
    plan = LoadPlan(target.bases[0] + target.path, target.keys, duration_s, connections,
                    max_requests=int(duration_s * loadrun.MAX_RPS_BOUND))
    return run_load_tasks(ctx.stack, plan, settings.swarm.load_replicas,
                          image("load").local, ctx.state_dir / "load", settings.project,
                          meter=meter)


def sweep_keys(gateways: int, keys: int) -> int:
    """Keys (one wrk thread each) so that every gateway task gets threads from every load
    task: at least one per gateway."""
    return max(keys, gateways)


def repeat_figures(results: Sequence[LoadResult], fixed: loadrun.RunFigures,
                   timeouts: int, spent: Cost | None, note: str, fifths: Sequence[Slice],
                   clients: Sequence[NodeClients]) -> dict[str, Any]:
    """One repeat's JSON-ready figures, as `measure.run_repeat` gives them on Compose:
    what was not measured is None (cost, steadiness) with the reason, never a 0."""
    from stackctl.load.steady import steadiness

    closed = loadrun.figures(list(results))
    steady = steadiness(fifths) if fifths else None
    why = note or "not metered"
    return {"closed": closed.as_dict(), "fixed": fixed.as_dict(), "pool_timeouts": timeouts,
            "load_tasks": [{"requests": r.requests, "rps": round(r.rps, 1),
                            "p99_ms": r.latencies_ms.get("p99", 0.0)} for r in results],
            "steady": {"passed": steady.passed if steady else None,
                       "detail": steady.detail if steady else
                       "not measured: too few answers per slice of time for fifths",
                       "fifths": [f.as_dict() for f in fifths]},
            "cost": spent.as_dict() if spent else {"unavailable": [why]},
            "metered": note,
            "saturated": spent.saturated if spent else f"not measured ({why})",
            "gateway_cpu_us_per_request": spent.gateway_cpu_us_per_request if spent
            else None,
            "gateway_mem_mib": spent.gateway_memory_mib if spent else None,
            "redis_clients": {c.node: c.connected for c in clients},
            "maxclients_live": max((c.maxclients for c in clients), default=0)}


def run_repeat(ctx: StackContext, options: SweepOptions, target: Target) -> dict[str, Any]:
    """Measure once on swarm: the swarm meter's snapshots inside the closed loop (cost,
    who saturated), steadiness from the tasks' answers per slice of time (throughput
    only: wrk gives no per-request times), the Redis clients right after, then the
    fixed-rate run."""
    from stackctl.load.stats import count_slices
    from stackctl.swarm.meter import SwarmMeter, pool_timeouts
    from stackctl.sweep.probes import swarm_clients

    if options.warmup_s > 0:
        closed_loop(ctx, target, options.warmup_s, options.connections)
    since = time.time()
    meter = SwarmMeter(ctx.stack, ctx.model, options.duration_s)
    meter.start()
    merged, results = closed_loop(ctx, target, options.duration_s, options.connections,
                                  meter)
    clients = swarm_clients(ctx.stack, ctx.model)
    timeouts = pool_timeouts(ctx.stack, since)
    spent, note = meter.cost(results)
    fixed = loadrun.fixed_rate(ctx.gateway_url, target.path, target.keys, options.rate,
                               options.duration_s)
    return repeat_figures(results, fixed, timeouts, spent, note,
                          count_slices(merged.answers), clients)
