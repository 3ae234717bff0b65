"""One repeat of one point: warm up, saturate in a closed loop between two meter
snapshots, judge its steadiness, read the Redis clients (right after the loop: the pools
are still open, and six `docker exec`s during the loop would dent its throughput), then
the fixed-rate run; pool timeouts counted from the logs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stackctl.sweep import loadrun
from stackctl.sweep.points import SweepOptions

if TYPE_CHECKING:
    from stackctl.context import StackContext


@dataclass(frozen=True)
class Target:
    """Where the load goes: the gateways (service names and http://addr:port each), the
    API path and the keys."""

    gateways: list[str]
    bases: list[str]
    path: str
    keys: tuple[str, ...]


def _clients(ctx: StackContext) -> dict[str, Any]:
    clients = ctx.cluster.clients()
    return {"redis_clients": {c.node: c.connected for c in clients},
            "maxclients_live": max((c.maxclients for c in clients), default=0)}


def run_repeat(ctx: StackContext, options: SweepOptions, target: Target) -> dict[str, Any]:
    """Measure once; a dict of JSON-ready figures."""
    from stackctl.load.stats import slices
    from stackctl.load.steady import steadiness
    from stackctl.meter import cost, loadgen
    from stackctl.meter.snapshot import read_snapshot

    if options.warmup_s > 0:
        loadrun.closed_loop(target.bases, target.path, target.keys, options.warmup_s,
                            options.connections)
    source = ctx.engine.meter_source(target.gateways)
    since = time.time()
    before = read_snapshot(source, loadgen.self_cpu_seconds)
    results = loadrun.closed_loop(target.bases, target.path, target.keys,
                                  options.duration_s, options.connections)
    after = read_snapshot(source, loadgen.self_cpu_seconds)
    sampled = _clients(ctx)
    timeouts = ctx.engine.pool_timeouts(since)
    closed = loadrun.figures(results)
    spent = cost(before, after, closed.requests, timeouts)
    fifths = slices(loadrun.merged_timeline(results),
                    max((r.elapsed_s for r in results), default=0.0))
    steady = steadiness(fifths)
    fixed = loadrun.fixed_rate(ctx.gateway_url, target.path, target.keys, options.rate,
                               options.duration_s)
    return {"closed": closed.as_dict(), "fixed": fixed.as_dict(), "pool_timeouts": timeouts,
            "steady": {"passed": steady.passed, "detail": steady.detail,
                       "fifths": [f.as_dict() for f in fifths]},
            "cost": spent.as_dict(), "saturated": spent.saturated,
            "gateway_cpu_us_per_request": spent.gateway_cpu_us_per_request,
            "gateway_mem_mib": spent.gateway_memory_mib, **sampled}
