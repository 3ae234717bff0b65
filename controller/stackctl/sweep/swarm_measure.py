"""One repeat of one point on swarm. The host does not reach the overlay, so the
closed-loop saturation comes from the load service's tasks (`swarm.load`: wrk flat out,
the connections split over `swarm.load_replicas` tasks, each task's threads spread over
the gateway's tasks). wrk has no fixed arrival rate (its `rate` is a pause per
connection: a closed model, latencies not corrected for coordinated omission), so the
fixed-rate run is the builtin open-model engine from this host through the host's way to
the gateway (the local access proxy, or the published port), as Compose's goes through
the published port. The Redis clients and pool timeouts are read as on Compose, through
the local task containers and the gateway service's logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.runtime.swarm import Stack
from stackctl.sweep import loadrun
from stackctl.sweep.measure import Target
from stackctl.sweep.points import SweepOptions

if TYPE_CHECKING:
    from stackctl.context import StackContext

NOT_MEASURED = "not measured on swarm"
"""What the cost and steadiness fields say until the swarm meter and timeline exist."""


def closed_loop(ctx: StackContext, target: Target, duration_s: float, connections: int
                ) -> list[LoadResult]:
    """wrk flat out from the load tasks against the gateway's name on the front overlay;
    one result per task."""
    from stackctl.swarm.load import run_load_tasks
    from stackctl.versions import image

    settings = ctx.model.settings
    plan = LoadPlan(target.bases[0] + target.path, target.keys, duration_s, connections,
                    max_requests=int(duration_s * loadrun.MAX_RPS_BOUND))
    _merged, per_task = run_load_tasks(ctx.stack, plan, settings.swarm.load_replicas,
                                       image("load").local, ctx.state_dir / "load",
                                       settings.project)
    return per_task


def pool_timeouts(stack: Stack) -> int:
    """Pool-timeout lines in the gateway service's logs so far (every task's)."""
    from stackctl.meter.pool import count_pool_timeouts

    return count_pool_timeouts(stack.logs("gateway"))


def sweep_keys(gateways: int, keys: int) -> int:
    """Keys (one wrk thread each) so that every gateway task gets threads from every load
    task: at least one per gateway."""
    return max(keys, gateways)


def run_repeat(ctx: StackContext, options: SweepOptions, target: Target) -> dict[str, Any]:
    """Measure once on swarm; the same JSON-ready figures as `measure.run_repeat`, with
    the cost and steadiness fields said not measured."""
    from stackctl.sweep.probes import swarm_clients

    if options.warmup_s > 0:
        closed_loop(ctx, target, options.warmup_s, options.connections)
    timeouts = pool_timeouts(ctx.stack)
    results = closed_loop(ctx, target, options.duration_s, options.connections)
    clients = swarm_clients(ctx.stack, ctx.model)
    timeouts = max(0, pool_timeouts(ctx.stack) - timeouts)
    closed = loadrun.figures(results)
    fixed = loadrun.fixed_rate(ctx.gateway_url, target.path, target.keys, options.rate,
                               options.duration_s)
    return {"closed": closed.as_dict(), "fixed": fixed.as_dict(), "pool_timeouts": timeouts,
            "load_tasks": [{"requests": r.requests, "rps": round(r.rps, 1),
                            "p99_ms": r.latencies_ms.get("p99", 0.0)} for r in results],
            "steady": {"passed": None, "detail": NOT_MEASURED, "fifths": []},
            "cost": {"unavailable": [NOT_MEASURED]}, "saturated": NOT_MEASURED,
            "gateway_cpu_us_per_request": None, "gateway_mem_mib": None,
            "redis_clients": {c.node: c.connected for c in clients},
            "maxclients_live": max((c.maxclients for c in clients), default=0)}
