"""One smoke run on either engine: keys, the metered load where it runs, /hello sampled,
the keys' Redis placement, the pump's records, clean up, judge (per engine: `ctx.engine`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from stackctl.clients.gateway import GatewayClient, redis_health
from stackctl.context import StackContext
from stackctl.context.gateway import stack_gateway
from stackctl.context.shared import shared_cluster
from stackctl.engine.base import Engine, LoadSite
from stackctl.errors import ToolError
from stackctl.load import keys as api_keys
from stackctl.load import wrk
from stackctl.load.builtin import run_builtin
from stackctl.load.plan import LoadPlan, LoadResult
from stackctl.meter import loadgen
from stackctl.meter.cost import Cost
from stackctl.meter.delivered import wait_delivered
from stackctl.meter.metered import metered
from stackctl.model import StackModel
from stackctl.smoke.analytics_sql import SINK, count_sql_records
from stackctl.smoke.expect import limit_for
from stackctl.smoke.options import SmokeOptions
from stackctl.smoke.redis_probe import KEY_PATTERNS, NodeKeys
from stackctl.smoke.report import SmokeReport, build_report
from stackctl.smoke.shared import sharing
from stackctl.tools.wrk import wrk_binary
from stackctl.tyk.bundle import rendered_gateway
from stackctl.tyk.lookup import gateway_listen_port, limiter_in
from stackctl.tyk.schema import RateLimiter
from stackctl.tyk.support import sliding_log_refuses
from stackctl.versions import image

DEFAULT_RATE = {"builtin": 500.0, "wrk": 0.0}
"""Requests per second when --rate is not given (0: as fast as connections allow)."""
ESTIMATED_WRK_RPS = 100.0
"""For sizing the limits when wrk runs flat out: its real rate is unknown beforehand, so
assume a slow stack (a limit too low is still exact to check; one too high is not hit)."""
ANALYTICS_WAIT_MIN_S = 10.0
LOAD_DIR = "load"
GATEWAY_IN_NETWORK = f"http://gateway:{gateway_listen_port()}"
"""The gateway as a one-off load container on the front network reaches it."""
TASK_KEYS_MAX = 64
"""wrk runs a thread per key in every load task."""
LOAD_JUDGED_MIN_S = 5.0
"""Shortest run from load tasks that is metered: they take a second or two to start and
the meter's first snapshot is a quarter into the run (the short smoke of `up` is 3 s)."""


@dataclass(frozen=True)
class LoadWay:
    """How this run loads: the tool (builtin | wrk) and the swarm load tasks (0: this host)."""

    tool: str
    tasks: int


def load_way(site: LoadSite, asked: str | None) -> LoadWay:
    """The builtin engine always runs here; wrk where the stack's loads run."""
    chosen = asked or ("wrk" if site.tasks else "builtin")
    return LoadWay(chosen, site.tasks if chosen == "wrk" else 0)


def in_flight(way: LoadWay, connections: int, keys: int) -> int:
    """The most requests open at once: wrk opens at least a connection per key, per load task."""
    if way.tool != "wrk":
        return connections
    tasks = max(1, way.tasks)
    return tasks * max(-(-connections // tasks), keys)


@dataclass
class _Probes:
    """What the smoke samples: /hello before, during and after the load; keys in Redis after."""

    redis: list[list[NodeKeys]] = field(default_factory=list)
    hello: list[str] = field(default_factory=list)


@dataclass
class _Load:
    """The load's result and what it cost (None, and why, when not metered)."""

    result: LoadResult
    per_task: list[LoadResult]
    cost: Cost | None
    unmetered: str


def default_keys(shards: int) -> int:
    """Enough keys that their records land on every primary (6 per primary, >= 18)."""
    return max(18, 6 * shards)


def limiter_in_use(ctx: StackContext) -> RateLimiter:
    """The rate limiter the stack's rendered gateway configuration selects."""
    env = ctx.model.settings.config_form == "env"
    return limiter_in(rendered_gateway(ctx.state_dir, "env" if env else "json"))


def _hello(gw: GatewayClient) -> str:
    try:
        hello = gw.hello()
    except ToolError:
        return "unreachable"
    status = str(hello.get("status", "unknown"))
    return status if status != "pass" else redis_health(hello)


def _sample_hello(gw: GatewayClient, probes: _Probes, at: list[float],
                  stop: threading.Event) -> None:
    for delay in at:
        if stop.wait(delay):
            return
        probes.hello.append(_hello(gw))


def settled(count: Callable[[], int], pause_s: float, tries: int = 3) -> int:
    """The count once two reads `pause_s` apart agree (earlier records still on their way)."""
    last = count()
    for _ in range(tries):
        time.sleep(pause_s)
        now = count()
        if now == last:
            return now
        last = now
    return last


def _run_here(ctx: StackContext, way: LoadWay, plan: LoadPlan, path: str) -> LoadResult:
    if way.tool == "builtin":
        return run_builtin(plan)
    work = ctx.state_dir / LOAD_DIR
    if wrk_binary() is not None:
        return wrk.run_host(plan, work)
    return wrk.run_in_network(plan, GATEWAY_IN_NETWORK + path, work, image("load").local,
                              ctx.engine.load_network())


def run_load(ctx: StackContext, way: LoadWay, plan: LoadPlan, path: str,
             site: LoadSite) -> _Load:
    """The metered load: from the load tasks, or from here between two meter snapshots."""
    engine: Engine = ctx.engine
    if way.tasks:
        task_plan = LoadPlan(site.url + path, plan.keys, plan.duration_s, plan.connections,
                             plan.rate)
        merged, per_task, spent, note = engine.run_load_tasks(
            task_plan, plan.duration_s >= LOAD_JUDGED_MIN_S)
        if plan.duration_s < LOAD_JUDGED_MIN_S:
            note = f"the run is shorter than {LOAD_JUDGED_MIN_S:g} s"
        return _Load(merged, per_task, spent, note)
    cpu = (loadgen.self_cpu_seconds if way.tool == "builtin"
           else loadgen.self_and_children_cpu_seconds)
    result, spent, note = metered(engine.meter_source(["gateway"]), engine.pool_timeouts,
                                  cpu, lambda: _run_here(ctx, way, plan, path))
    return _Load(result, [], spent, note)


def _make_api(gw: GatewayClient, site: LoadSite, keys: int, limit: int
              ) -> api_keys.SmokeSetup:
    if site.api.own:
        return api_keys.create(gw, keys, limit)
    return api_keys.create_keys(gw, site.api.api_id, site.api.listen_path, keys, limit)


def _drop_api(ctx: StackContext, gw: GatewayClient, site: LoadSite,
              made: api_keys.SmokeSetup) -> list[str]:
    problems = (api_keys.cleanup(gw, made) if site.api.own
                else api_keys.delete_keys(gw, made.keys))
    return problems + ctx.cluster.forget([k.key_hash for k in made.keys])


def _counter(ctx: StackContext, model: StackModel, api_id: str
             ) -> tuple[Callable[[], int | None], str]:
    """How the pump's records for `api_id` are counted, and where."""
    if model.settings.profile == "pro":  # the sql pump's rows in PostgreSQL
        return (lambda: count_sql_records(ctx.engine, api_id)), SINK
    return (lambda: ctx.engine.pump_records(api_id)), "the csv sink"


def run_smoke(ctx: StackContext, options: SmokeOptions,
              after_setup: Callable[[GatewayClient, api_keys.SmokeSetup], None] | None = None
              ) -> SmokeReport:
    """Run the whole smoke against `ctx`'s stack (`after_setup`, tests: tamper before the load)."""
    options.validate()
    settings = ctx.model.settings
    site = ctx.engine.load_site()
    way = load_way(site, options.engine)
    rate = DEFAULT_RATE[way.tool] if options.rate is None else options.rate
    keys = options.keys or default_keys(settings.redis.shards)
    if way.tasks:
        keys = min(keys, TASK_KEYS_MAX)
    per_key = (rate or ESTIMATED_WRK_RPS) * options.duration_s / keys
    probes = _Probes()
    not_checked: list[str] = []
    with stack_gateway(ctx) as gw:
        probes.hello.append(_hello(gw))
        made = _make_api(gw, site, keys, limit_for(per_key))
        count, sink = _counter(ctx, ctx.model, made.api_id)
        try:
            # A baked-in API has earlier runs' records: this run's are what comes after
            # (read before this run's first request to it).
            first = 0 if site.api.own else count()
            baseline = first if first is None or site.api.own else settled(
                lambda: count() or 0, settings.pump.purge_delay + 0.5)
            control = api_keys.wait_serving(gw, made)
            if after_setup is not None:
                after_setup(gw, made)
            plan = LoadPlan(ctx.gateway_url + made.listen_path, api_keys.raw_keys(made),
                            options.duration_s, options.connections, rate)
            stop = threading.Event()
            sampler = threading.Thread(
                target=_sample_hello, daemon=True, name="smoke-hello",
                args=(gw, probes, [options.duration_s / 3] * 2, stop))
            sampler.start()
            try:
                load = run_load(ctx, way, plan, made.listen_path, site)
            finally:
                stop.set()
                sampler.join(timeout=30)
            # Keys and counters outlive the run (sessions stay; counters keep their 60 s
            # window): read them now, not during the load, where six `docker exec`s
            # would take CPU from the gateway under test.
            probes.redis.append(ctx.cluster.probe_keys(KEY_PATTERNS))
            unauthorized = api_keys.unauthorized_statuses(gw, made)
            probes.hello.append(_hello(gw))
        finally:
            cleanup_problems = _drop_api(ctx, gw, site, made)
    result = load.result
    served = result.requests + control + len(unauthorized)
    wait_s = options.analytics_wait_s
    if wait_s is None:
        wait_s = max(ANALYTICS_WAIT_MIN_S, 5.0 * settings.pump.purge_delay)
    delivered: int | None = None
    waited = 0.0
    limiter = limiter_in_use(ctx)
    shares = sharing(shared_cluster(ctx), settings.gateway.replicas, limiter,
                     sliding_log_refuses(settings, ctx.model.tls_mode))
    if baseline is None:
        not_checked.append("analytics delivered: the pump's sink cannot be read from this "
                           "machine")
    elif shares.analytics_unjudged:  # another pump takes records: read once, for the figure
        delivered = (count() or 0) - baseline
    else:
        delivered, waited = wait_delivered(lambda: (count() or 0) - baseline, served, wait_s)
    return build_report(options, rate, made, result, probes.redis, probes.hello,
                        unauthorized, served, delivered, waited, cleanup_problems,
                        limiter=limiter, cost=load.cost,
                        unmetered=load.unmetered, sink=sink, per_task=load.per_task,
                        tasks=way.tasks, not_checked=not_checked,
                        in_flight=in_flight(way, options.connections, keys),
                        sharing=shares)
