"""One repeat of one point, on either engine: warm up, saturate in a closed loop while
the meter reads what it cost (from this host: builtin against every gateway's own
address between two snapshots; on swarm: wrk from the load tasks, the meter's snapshots
inside the run), judge its steadiness, read the Redis clients (right after the loop: the
pools are still open, and `docker exec`s during it would dent its throughput), the pool
timeouts since it began, the mechanism per Redis node (`mechanism`: commandstats before and
after the loop, CLIENT LIST first after it, so that its `idle` tells the connections in
use from those left open), then the fixed-rate run (builtin from this host at a constant
arrival rate; wrk has none)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stackctl.cluster.access import NodeClients
from stackctl.context import StackContext
from stackctl.errors import ToolError
from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.load.stats import Slice, count_slices, slices
from stackctl.load.steady import steadiness
from stackctl.meter import loadgen
from stackctl.meter.cost import Cost
from stackctl.meter.metered import metered
from stackctl.sweep import loadrun, mechanism
from stackctl.sweep.points import SweepOptions


@dataclass(frozen=True)
class Target:
    """Where the load goes: the gateways (service names and http://addr:port each, as
    the load reaches them), the API path and the keys; `tasks`: the swarm's load tasks
    running it (0: this host)."""

    gateways: list[str]
    bases: list[str]
    path: str
    keys: tuple[str, ...]
    tasks: int = 0


@dataclass
class Closed:
    """A closed-loop run: each load's result (per gateway, or per load task), the
    fifths of the run, and what it cost (None, and why)."""

    results: list[LoadResult]
    fifths: list[Slice]
    cost: Cost | None
    note: str


def closed_loop(ctx: StackContext, target: Target, duration_s: float, connections: int,
                meter: bool) -> Closed:
    """Flat out against the gateways, from the load tasks or from here."""
    engine = ctx.engine
    if target.tasks:
        plan = LoadPlan(target.bases[0] + target.path, target.keys, duration_s, connections,
                        max_requests=int(duration_s * loadrun.MAX_RPS_BOUND))
        merged, per_task, spent, note = engine.run_load_tasks(plan, meter)
        return Closed(per_task, count_slices(merged.answers), spent, note)

    def run() -> list[LoadResult]:
        return loadrun.closed_loop(target.bases, target.path, target.keys, duration_s,
                                   connections)

    if not meter:
        return Closed(run(), [], None, "not metered")
    results, spent, note = metered(engine.meter_source(target.gateways),
                                   engine.pool_timeouts, loadgen.self_cpu_seconds, run)
    fifths = slices(loadrun.merged_timeline(results),
                    max((r.elapsed_s for r in results), default=0.0))
    return Closed(results, fifths, spent, note)


def pump_addresses(ctx: StackContext) -> frozenset[str]:
    """The pump's addresses (its connections are not the gateways'); none when its
    container is not here."""
    try:
        return frozenset(ip for ip in ctx.engine.networks_of("pump").values() if ip)
    except ToolError:
        return frozenset()


def repeat_figures(closed: Closed, fixed: loadrun.RunFigures, timeouts: int,
                   clients: Sequence[NodeClients], tasks: int,
                   nodes: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """One repeat's JSON-ready figures: what was not measured is None (cost,
    steadiness) with the reason, never a 0."""
    steady = steadiness(closed.fifths) if closed.fifths else None
    spent, why = closed.cost, closed.note or "not metered"
    per_task = [{"requests": r.requests, "rps": round(r.rps, 1),
                 "p99_ms": r.latencies_ms.get("p99", 0.0)} for r in closed.results]
    return {"closed": loadrun.figures(closed.results).as_dict(), "fixed": fixed.as_dict(),
            "pool_timeouts": timeouts, "load_tasks": per_task if tasks else [],
            "steady": {"passed": steady.passed if steady else None,
                       "detail": steady.detail if steady else
                       "not measured: too few answers per slice of time for fifths",
                       "fifths": [f.as_dict() for f in closed.fifths]},
            "cost": spent.as_dict() if spent else {"unavailable": [why]},
            "metered": closed.note,
            "saturated": spent.saturated if spent else f"not measured ({why})",
            "gateway_cpu_us_per_request": spent.gateway_cpu_us_per_request if spent
            else None,
            "gateway_mem_mib": spent.gateway_memory_mib if spent else None,
            "redis_clients": {c.node: c.connected for c in clients},
            "nodes": nodes or {},
            "maxclients_live": max((c.maxclients for c in clients), default=0)}


def loop_end(results: Sequence[LoadResult], fallback: float) -> float:
    """When the closed loop's last load stopped (wall clock); `fallback` when the results
    say nothing usable (no end, or one after it)."""
    ended = max((r.ended_at for r in results), default=0.0)
    return ended if 0 < ended <= fallback else fallback


def run_repeat(ctx: StackContext, options: SweepOptions, target: Target) -> dict[str, Any]:
    """Measure once; a dict of JSON-ready figures."""
    if options.warmup_s > 0:
        closed_loop(ctx, target, options.warmup_s, options.connections, meter=False)
    pump = pump_addresses(ctx)
    since = time.time()
    before = mechanism.read_calls(ctx.cluster)
    closed = closed_loop(ctx, target, options.duration_s, options.connections, meter=True)
    # CLIENT LIST first: `idle` tells the connections in use from those left idle
    conns = mechanism.read_connections(ctx.cluster, pump, loop_end(closed.results,
                                                                   time.time()))
    after = mechanism.read_calls(ctx.cluster)
    clients = ctx.cluster.clients()
    timeouts = ctx.engine.pool_timeouts(since)
    requests = sum(r.requests for r in closed.results)
    nodes = mechanism.node_figures(before, after, options.duration_s, requests, conns)
    fixed = loadrun.fixed_rate(ctx.gateway_url, target.path, target.keys, options.rate,
                               options.duration_s)
    return repeat_figures(closed, fixed, timeouts, clients, target.tasks, nodes)
