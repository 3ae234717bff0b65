"""One smoke run: set up, load, probe, count, clean up, judge."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stackctl.errors import ConfigError
from stackctl.smoke.redis_probe import KEY_PATTERNS
from stackctl.smoke.slo import Slo
from stackctl.tyk.lookup import gateway_listen_port

if TYPE_CHECKING:
    from stackctl.clients.gateway import GatewayClient
    from stackctl.context import StackContext
    from stackctl.load.plan import LoadPlan, LoadResult
    from stackctl.meter.cost import Cost
    from stackctl.smoke.redis_probe import NodeKeys
    from stackctl.smoke.report import SmokeReport
    from stackctl.smoke.setup import SmokeSetup
    from stackctl.tyk.schema import RateLimiter

DEFAULT_RATE = {"builtin": 500.0, "wrk": 0.0}
"""Requests per second when --rate is not given (0: as fast as connections allow)."""
ESTIMATED_WRK_RPS = 100.0
"""For sizing the limits when wrk runs flat out: its real rate is unknown beforehand, so
assume a slow stack (a limit too low is still exact to check; one too high is not hit)."""
ANALYTICS_WAIT_MIN_S = 10.0
LOAD_DIR = "load"
GATEWAY_IN_NETWORK = f"http://gateway:{gateway_listen_port()}"
"""The gateway as the in-network load engine reaches it (service name, listen port)."""
DEFAULT_DURATION_S = 20.0
"""Long enough to be past the warm-up (the first fifth) and for connection churn or a
growing queue to show in the steady check."""


@dataclass(frozen=True)
class SmokeOptions:
    """What the user asked for (None: the default)."""

    duration_s: float = DEFAULT_DURATION_S
    connections: int = 16
    rate: float | None = None
    keys: int | None = None
    engine: str = "builtin"
    slos: tuple[Slo, ...] = ()
    analytics_wait_s: float | None = None

    def validate(self) -> None:
        """ConfigError (exit 2) on a value out of range."""
        checks = [("--duration", 0.5 <= self.duration_s <= 600, "between 0.5 and 600 s"),
                  ("--connections", 1 <= self.connections <= 4096, "between 1 and 4096"),
                  ("--rate", self.rate is None or 0 <= self.rate <= 1_000_000,
                   "between 0 and 1000000 (0: as fast as possible)"),
                  ("--keys", self.keys is None or 2 <= self.keys <= 1000, "between 2 and 1000"),
                  ("--engine", self.engine in DEFAULT_RATE, "builtin or wrk")]
        for flag, ok, want in checks:
            if not ok:
                raise ConfigError(flag, "out of range", f"give a value {want}")


@dataclass
class _Probes:
    """What the smoke samples: /hello before, during and after the load, and the Redis
    placement of keys and counters right after it."""

    redis: list[list[NodeKeys]] = field(default_factory=list)
    hello: list[str] = field(default_factory=list)


def default_keys(shards: int) -> int:
    """Enough keys that their records land on every primary (6 per primary, >= 18)."""
    return max(18, 6 * shards)


def limiter_in_use(ctx: StackContext) -> RateLimiter:
    """The rate limiter the stack's rendered gateway configuration selects."""
    from stackctl.tyk.bundle import rendered_gateway
    from stackctl.tyk.lookup import limiter_in

    env = ctx.model.settings.config_form == "env"
    return limiter_in(rendered_gateway(ctx.state_dir, "env" if env else "json"))


def _hello(gw: GatewayClient) -> str:
    from stackctl.clients.gateway import redis_health
    from stackctl.errors import ToolError

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


def _metered(ctx: StackContext, options: SmokeOptions, plan: LoadPlan, path: str
             ) -> tuple[LoadResult, Cost | None, str]:
    """Run the load between two meter snapshots: the result, what it cost (None, and
    why, when the stack's counters cannot be read from here)."""
    from stackctl.errors import ToolError
    from stackctl.meter import cost, loadgen
    from stackctl.meter.snapshot import read_snapshot

    cpu = (loadgen.self_cpu_seconds if options.engine == "builtin"
           else loadgen.self_and_children_cpu_seconds)
    source = ctx.engine.meter_source(["gateway"])
    since = time.time()
    try:
        before = read_snapshot(source, cpu)
    except ToolError as exc:
        return _run_load(ctx, options, plan, path), None, str(exc)
    result = _run_load(ctx, options, plan, path)
    try:
        after = read_snapshot(source, cpu)
        timeouts = ctx.engine.pool_timeouts(since)
    except ToolError as exc:
        return result, None, str(exc)
    return result, cost(before, after, result.requests, max(0, timeouts)), ""


def _run_load(ctx: StackContext, options: SmokeOptions, plan: LoadPlan, path: str
              ) -> LoadResult:
    if options.engine == "builtin":
        from stackctl.load.builtin import run_builtin

        return run_builtin(plan)
    from stackctl.load import wrk
    from stackctl.model import FRONT_NETWORK
    from stackctl.tools.wrk import wrk_binary
    from stackctl.versions import image

    work = ctx.state_dir / LOAD_DIR
    if wrk_binary() is not None:
        return wrk.run_host(plan, work)
    return wrk.run_in_network(plan, GATEWAY_IN_NETWORK + path, work, image("load").local,
                              f"{ctx.model.settings.project}_{FRONT_NETWORK}")


def run_smoke(ctx: StackContext, options: SmokeOptions,
              after_setup: Callable[[GatewayClient, SmokeSetup], None] | None = None
              ) -> SmokeReport:
    """Run the whole smoke against the stack in `ctx`. `after_setup` (tests) may tamper
    with what was created, e.g. revoke a key, before the load starts."""
    from stackctl.context.gateway import stack_gateway
    from stackctl.load.plan import LoadPlan
    from stackctl.meter.delivered import ANALYTICS_DIR, count_records, wait_delivered
    from stackctl.smoke import setup as smoke_setup
    from stackctl.smoke.expect import limit_for
    from stackctl.smoke.report import build_report

    options.validate()
    settings = ctx.model.settings
    rate = DEFAULT_RATE[options.engine] if options.rate is None else options.rate
    keys = options.keys or default_keys(settings.redis.shards)
    per_key = (rate or ESTIMATED_WRK_RPS) * options.duration_s / keys
    probes = _Probes()
    with stack_gateway(ctx) as gw:
        probes.hello.append(_hello(gw))
        made = smoke_setup.create(gw, keys, limit_for(per_key))
        try:
            control = smoke_setup.wait_serving(gw, made)
            if after_setup is not None:
                after_setup(gw, made)
            plan = LoadPlan(ctx.gateway_url + made.listen_path,
                            tuple(k.key.get_secret_value() for k in made.keys),
                            options.duration_s, options.connections, rate)
            stop = threading.Event()
            sampler = threading.Thread(
                target=_sample_hello, daemon=True, name="smoke-hello",
                args=(gw, probes, [options.duration_s / 3] * 2, stop))
            sampler.start()
            try:
                result, spent, unmetered = _metered(ctx, options, plan, made.listen_path)
            finally:
                stop.set()
                sampler.join(timeout=30)
            # Keys and counters outlive the run (sessions stay; counters keep their 60 s
            # window): read them now, not during the load, where six `docker exec`s
            # would take CPU from the gateway under test.
            probes.redis.append(ctx.cluster.probe_keys(KEY_PATTERNS))
            unauthorized = smoke_setup.unauthorized_statuses(gw, made)
            probes.hello.append(_hello(gw))
        finally:
            cleanup_problems = smoke_setup.cleanup(gw, made)
            cleanup_problems += ctx.cluster.forget([k.key_hash for k in made.keys])
    served = result.requests + control + len(unauthorized)
    wait_s = options.analytics_wait_s
    if wait_s is None:
        wait_s = max(ANALYTICS_WAIT_MIN_S, 5.0 * settings.pump.purge_delay)
    csv_dir = ctx.state_dir / ANALYTICS_DIR
    count: Callable[[], int] = lambda: count_records(csv_dir, made.api_id)  # noqa: E731
    sink = "the csv sink"
    if settings.profile == "pro":  # the sql pump's rows in PostgreSQL (the Dashboard's)
        from stackctl.smoke.analytics_sql import SINK, count_sql_records

        count = lambda: count_sql_records(ctx.compose, made.api_id)  # noqa: E731
        sink = SINK
    delivered, waited = wait_delivered(count, served, wait_s)
    return build_report(options, rate, made, result, probes.redis, probes.hello,
                        unauthorized, served, delivered, waited, cleanup_problems,
                        limiter=limiter_in_use(ctx), cost=spent, unmetered=unmetered,
                        sink=sink)
