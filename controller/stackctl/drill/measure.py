"""One scenario run: an API and keys of its own, constant-rate keyed load through the
published gateway (the builtin open-model engine in a thread; on swarm through the local
access proxy), the fault at `at`, the cluster (or the gateway) polled until it recovers,
the stack restored, then the keys, the analytics and the logs read back. What differs
per engine goes through `ctx.engine` (faults, logs, the pump's records, the load's API)
and the gate it opened."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stackctl.clients.gateway import GatewayClient, GatewayError, redis_health
from stackctl.clients.health import HealthClient
from stackctl.context.gateway import stack_gateway
from stackctl.drill import buckets as bk
from stackctl.drill import keys as api
from stackctl.drill import phases as ph
from stackctl.drill import probe_flags, probes, rate, survival
from stackctl.drill.backlog import Drain, read_backlog, wait_drained
from stackctl.drill.logs import scenario_logs
from stackctl.drill.observe import Poller, cluster_check, read_views
from stackctl.drill.options import AFTER_LOAD_POLL_S, KEYS, REQUEST_TIMEOUT_S, DrillOptions
from stackctl.drill.rate import refuse
from stackctl.drill.restore import restore
from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.drill.target import acted_on, choose, primaries, refuse_here, service_of
from stackctl.errors import ToolError
from stackctl.load.builtin import Live, run_builtin
from stackctl.load.keys import wait_serving
from stackctl.load.plan import LoadPlan
from stackctl.meter.delivered import wait_delivered
from stackctl.tyk.apidef import KEY_HEADER
from stackctl.tyk.tables import SESSION_CACHE_TTL_S

if TYPE_CHECKING:
    from stackctl.cluster.readiness import ClusterNode
    from stackctl.context import StackContext
    from stackctl.drill.observe import Check
    from stackctl.load.keys import SmokeSetup
    from stackctl.load.plan import LoadResult
    from stackctl.runtime.docker_cli import Exec

Say = Callable[[str], None]
KEYS_VALID_WAIT_S = 15.0


def _gateway_check(ctx: StackContext) -> Check:
    def check() -> tuple[bool, str, str]:
        with GatewayClient(ctx.gateway_url, timeout=1.0) as gw:
            state = redis_health(gw.hello())
        return state == "pass", f"gateway /hello: redis {state}", ""
    return check


def _pick(ctx: StackContext, gate: Exec, scenario: Scenario
          ) -> tuple[Target, tuple[str, ...], list[ClusterNode]]:
    """The target by its live role, its slot ranges now, and the view it was chosen in."""
    if not scenario.redis:  # the gateway or the pump: no Redis view needed (nor a gate)
        return choose(scenario, [], ctx.model.nodes), (), []
    views = [v for v in read_views(gate) if v.nodes]
    if len(views) != len(ctx.model.nodes):
        raise ToolError(f"{scenario.name}: only {len(views)} of {len(ctx.model.nodes)} "
                        "Redis nodes answered before the fault; see `stackctl status`")
    target = choose(scenario, views[0].nodes, ctx.model.nodes)
    mine = next((n for n in views[0].nodes if n.addr == target.addr), None)
    return target, (mine.slots if mine is not None else ()), views[0].nodes


def _keys_valid(ctx: StackContext, made: SmokeSetup) -> dict[str, Any]:
    """Each key through the gateway until all answer 200 (or the wait ends)."""
    started = time.monotonic()
    first: list[int] = []
    sent = 0
    statuses: list[int] = []
    with GatewayClient(ctx.gateway_url) as gw:
        while True:
            statuses = []
            for k in made.keys:
                try:
                    reply = gw.through(made.listen_path,
                                       {KEY_HEADER: k.key.get_secret_value()}, timeout=5)
                    statuses.append(reply.status)
                    sent += 1
                except GatewayError:
                    statuses.append(0)
            first = first or statuses
            if all(s == 200 for s in statuses) or (
                    time.monotonic() - started > KEYS_VALID_WAIT_S):
                break
            time.sleep(0.5)
    return {"total": len(made.keys), "valid_at_once": sum(s == 200 for s in first),
            "valid": sum(s == 200 for s in statuses),
            "waited_s": round(time.monotonic() - started, 2), "requests": sent}


def _load_figures(result: LoadResult, options: DrillOptions, fault_s: float
                  ) -> dict[str, Any]:
    timeline = result.timeline
    buckets = bk.bucketize(timeline, options.duration_s)
    window = bk.error_window(buckets, fault_s)
    per_s = bk.p99_per_second(timeline, options.duration_s)
    base = bk.baseline_p99(timeline, fault_s)
    after = window.end_s if window is not None else fault_s
    back = bk.p99_recovery(per_s, fault_s, base, after) if base else None
    totals = dict.fromkeys(bk.CLASSES, 0)
    for b in buckets:
        for c, v in b.items():
            totals[c] += v
    skip = bk.BASELINE_SKIP_S if fault_s > 2 * bk.BASELINE_SKIP_S else 0.0
    return {
        "requests_sent": len(timeline), "answered": result.requests,
        "classes": totals, "bucket_s": bk.BUCKET_S, "buckets": buckets,
        "p99_per_s_ms": per_s, "baseline_p99_ms": base,
        "p99_back_within_ms": round(bk.P99_FACTOR * base, 3) if base else None,
        "p99_recovery_s": back,
        "error_window": window.as_dict() if window is not None else None,
        "error_window_open": window is not None and (
            window.end_s >= options.duration_s - bk.BUCKET_S / 2),
        "failed_before_fault": bk.failed_between(buckets, 0.0, fault_s),
        "failed_after_fault": bk.failed_between(buckets, fault_s, options.duration_s),
        "rate_held_before_fault": bk.sent_rate(timeline, skip, fault_s),
        "latency_ms": result.latencies_ms,
    }


def _run_load(plan: Any, box: dict[str, Any], live: Any) -> None:
    try:
        box["result"] = run_builtin(plan, live)
    except Exception as exc:
        box["error"] = exc


def _sleep_until(t: float) -> None:
    time.sleep(max(0.0, t - time.time()))


def _rate_check(live: Any, load_start: float, options: DrillOptions) -> Any:
    """Sample the engine's live count over the pre-fault phase; the RateCheck (None when
    that phase is too short to judge). Returns just before the fault is due."""
    span = rate.window(options.at_s)
    if span is None:
        return None
    _sleep_until(load_start + span[0])
    sent_a, at_a = live.sent, time.time()
    _sleep_until(load_start + span[1])
    sent_b, at_b = live.sent, time.time()
    return rate.held(options.rate, sent_a, at_a, sent_b, at_b, load_start)


def _check_for(ctx: StackContext, gate: Exec, scenario: Scenario, target: Target,
               slots: tuple[str, ...], backlog: list[tuple[float, int]]) -> Check:
    if scenario.redis:
        return cluster_check(gate, len(ctx.model.nodes),
                             ctx.model.settings.redis.shards,
                             target.addr if scenario.skip_target else "", target.addr,
                             slots, target.role == "primary",
                             ctx.engine.replacement(target.service))
    if scenario.role == "pump":
        return _backlog_check(ctx, gate, backlog)
    return _gateway_check(ctx)


def _backlog_measured(ctx: StackContext, scenario: Scenario) -> bool:
    """stop-pump reads the backlog through the gate; an external cluster has none."""
    return scenario.role == "pump" and not ctx.cluster.unsupported("gate")


def _backlog_check(ctx: StackContext, gate: Exec, samples: list[tuple[float, int]]
                   ) -> Check:
    """While the pump is down: the backlog sampled (never 'recovered': the pump comes
    back at the restore)."""
    def check() -> tuple[bool, str, str]:
        if why := ctx.cluster.unsupported("gate"):
            return False, f"pump down (backlog not readable: {why})", ""
        n = read_backlog(gate)
        samples.append((time.time(), n))
        return False, f"pump down, backlog {n}", ""
    return check


def _prober(ctx: StackContext, options: DrillOptions, release: str | None
            ) -> tuple[probes.Prober, dict[str, str]]:
    """The health probes of this run: /hello, /ready where the running release serves
    it, the pump's /health where the engine reaches it."""
    with HealthClient(ctx.gateway_url, probes.PROBE_TIMEOUT_S) as ask:
        ready, why = probes.ready_served(release, ask)
    chosen, skipped = probes.targets(ctx.gateway_url, ctx.engine.pump_health_url(), ready)
    return probes.Prober(chosen, options.duration_s), {**skipped, "ready_decided": why}


def run_scenario(ctx: StackContext, gate: Exec, scenario: Scenario,
                 options: DrillOptions, index: int, say: Say,
                 release: str | None = None) -> dict[str, Any]:
    """Run `scenario` once and return its figures (JSON); the stack is restored before
    this returns or raises (also on Ctrl-C). ConfigError (exit 2) before the fault when
    the load does not hold the rate: nothing is injected then."""
    engine = ctx.engine
    target, slots, view = _pick(ctx, gate, scenario)
    refuse_here(engine, scenario, target)  # exit 2 before anything is made or touched
    say(f"{scenario.name} #{index}: target {target.service} ({target.role}"
        f"{', ' + target.addr if target.addr else ''})")
    with stack_gateway(ctx) as gw:  # pro: APIs through the Dashboard
        made, base = api.make_api(engine, gw, view, KEYS)
    drain = Drain([])
    try:
        with GatewayClient(ctx.gateway_url) as gw:
            control = wait_serving(gw, made)
        raw = tuple(k.key.get_secret_value() for k in made.keys)
        plan = LoadPlan(ctx.gateway_url + made.listen_path, raw,
                        options.duration_s, options.connections, options.rate,
                        timeout_s=REQUEST_TIMEOUT_S)
        s = ctx.model.settings
        if acted_on(scenario, target):
            engine.note_task(acted_on(scenario, target))
        check = _check_for(ctx, gate, scenario, target, slots, drain.samples)
        poller = Poller(check, options.duration_s - options.at_s + (
            0.0 if scenario.role == "pump" else AFTER_LOAD_POLL_S))
        prober, not_probed = _prober(ctx, options, release)
        lost: dict[str, Any] | None = None
        box: dict[str, Any] = {}
        live = Live()
        logs_since = time.time() - 1.0
        load = threading.Thread(target=_run_load, args=(plan, box, live), daemon=True,
                                name="drill-load")
        load_start = time.time()
        load.start()
        prober.start(load_start)
        fault_at = fault_done = 0.0
        injecting = False
        restored: dict[str, Any] = {}
        rate_check = None
        try:
            rate_check = _rate_check(live, load_start, options)
            if rate_check is not None and not rate_check.passed and "error" not in box:
                live.stop = True
                raise refuse(rate_check, scenario.name)
            _sleep_until(load_start + options.at_s)
            say(f"{scenario.name} #{index}: fault at {options.at_s:g} s")
            injecting = True
            fault_at = time.time()
            scenario.inject(engine, target)
            fault_done = time.time()
            poller.start()
            load.join(options.duration_s + 30)
            while poller.seen.recovered_at is None and poller.alive():
                time.sleep(0.2)
        finally:
            live.stop = live.stop or not injecting
            seen = poller.stop() if injecting else poller.seen
            sampled = prober.stop()
            if injecting:
                say(f"{scenario.name} #{index}: restoring")
                if _backlog_measured(ctx, scenario):
                    drain.at_restart = _quiet(read_backlog, gate)
                    drain.restarted_at = time.time()
                    lost = _analytics_state(gate, drain)
                restored = restore(ctx, gate, scenario, target)
                if _backlog_measured(ctx, scenario):
                    drain.drained_at = wait_drained(gate)
            load.join(30)
        if "error" in box:
            raise box["error"]
        result: LoadResult = box["result"]
        keys = _keys_valid(ctx, made)
        logs = scenario_logs(engine.logs_since, logs_since, result.started_at)
        task = engine.task_change(target.service, bool(target.addr))
    finally:
        with stack_gateway(ctx) as gw:
            problems = api.drop_api(engine, gw, made)
    origin = result.started_at
    fault_s = round(fault_at - origin, 3)
    if task is not None:  # swarm: when the new task was seen and started, from the fault
        seen_at = task.pop("replaced_seen_at", None)
        task["replaced_seen_after_fault_s"] = None if seen_at is None \
            else round(seen_at - fault_at, 3)
        started = (task.get("after") or {}).get("started_at") if task["replaced"] else None
        task["new_task_started_after_fault_s"] = None if not started \
            else round(started - fault_at, 3)
    figures = _load_figures(result, options, fault_s)
    if rate_check is not None:
        figures["rate_held_before_fault"] = rate_check.held
    served = result.requests + control + keys["requests"]
    delivered: int | None = None
    waited = 0.0
    try:
        delivered, waited = wait_delivered(lambda: api.delivered(engine, made.api_id, base),
                                           served,
                                           max(6.0, 3.0 * s.pump.purge_delay))
    except ToolError as exc:  # swarm: the pump's task runs on another node
        problems.append(str(exc))
    cluster = seen.as_dict(origin)

    cluster["promoted"] = service_of(seen.promoted_addr, ctx.model.nodes) \
        if seen.promoted_addr else ""
    cluster["promoted_after_fault_s"] = (None if cluster["promoted_s"] is None
                                         else round(cluster["promoted_s"] - fault_s, 3))
    pump = drain.as_dict(origin) if scenario.role == "pump" else None
    if pump is not None:
        cluster["recovered_s"] = pump["drained_s"]  # the pump back and its backlog empty
    recovered = cluster["recovered_s"]
    if pump is not None and lost is not None:
        pump["survival"] = _survival(lost, pump, fault_s)
    probed = probe_flags.probe_figures(sampled, not_probed, origin, figures["buckets"],
                                       options.duration_s)
    split = ph.phases(fault_s, figures["error_window"], recovered)  # the run's recovery
    split["evidence"] = ph.evidence(
        split, fault_s, recovered, logs["gateway"].get("times", {}),
        {k: v["series"] for k, v in probed["endpoints"].items()})
    return {
        "scenario": scenario.name, "summary": scenario.summary, "repeat": index,
        "engine": engine.name,
        "target": target.as_dict(), "api_id": made.api_id,
        "load": {"rate": options.rate, "duration_s": options.duration_s,
                 "connections": options.connections, "timeout_s": REQUEST_TIMEOUT_S,
                 "keys": len(made.keys), "engine": result.engine,
                 "keys_on_target": api.on_node([k.key_hash for k in made.keys], slots),
                 "started_at": result.started_at},
        "rate_check": rate_check.as_dict() if rate_check is not None else None,
        "fault_s": fault_s, "fault_took_s": round(fault_done - fault_at, 3),
        "cluster": cluster,
        "recovery_s": None if recovered is None else round(recovered - fault_s, 3),
        **figures,
        "error_window_s": figures["error_window"]["seconds"] if figures["error_window"]
        else 0.0,
        "errors_until_after_fault_s": None if figures["error_window"] is None
        else round(figures["error_window"]["end_s"] - fault_s, 3),
        "session_cache": session_cache(s.gateway.local_session_cache, fault_s,
                                       figures["error_window"]),
        "logs": logs, "keys": keys, "probes": probed,
        "valid_key_rejections": ph.rejected(figures["buckets"], fault_s),
        "phases": split,
        "analytics": {"served": served, "delivered": delivered, "waited_s": waited,
                      "unanswered": result.unanswered_max,
                      "lost": None if delivered is None else max(0, served - delivered)},
        "pump": pump,
        "restore": {**restored, "primaries_before": primaries(view, ctx.model.nodes)}
        if restored else restored,
        "task": task,
        "cleanup_problems": problems,
    }


def _analytics_state(gate: Exec, drain: Drain) -> dict[str, Any] | None:
    """The analytics lists and the nodes' memory just before the pump comes back."""
    try:
        nodes, lists = survival.read_state(gate)
    except ToolError:
        return None
    return {"nodes": nodes, "lists": lists, "at": drain.restarted_at}


def _survival(state: dict[str, Any], pump: dict[str, Any], fault_s: float
              ) -> dict[str, Any]:
    """The survival estimate, with the first loss also counted from the pump's stop."""
    out = survival.survival(pump.get("growth_per_s"), state["nodes"], state["lists"])
    down = (pump["restarted_s"] - fault_s) if pump.get("restarted_s") is not None else None
    out["pump_down_s"] = None if down is None else round(down, 3)
    out["first_loss_after_stop_s"] = None if down is None or out["first_loss_in_s"] is None \
        else round(down + out["first_loss_in_s"], 3)
    return out


def _quiet(read: Callable[[Any], int], gate: Any) -> int | None:
    try:
        return read(gate)
    except ToolError:
        return None


def session_cache(on: bool, fault_s: float, window: dict[str, Any] | None
                  ) -> dict[str, Any]:
    """When the gateway's local session cache next expired for the load's keys after the
    fault: every key was first read from Redis as the load began (within its first
    100 ms), so their cached sessions expire together at multiples of the TTL from the
    load's start; a key whose shard is down fails from that moment, not from the fault.
    `first_failure_after_fault_s`: the error window's start, from the fault."""
    ttl = SESSION_CACHE_TTL_S
    expiry = (int(fault_s // ttl) + 1) * ttl if on else None
    return {"on": on, "ttl_s": ttl if on else None, "next_expiry_s": expiry,
            "expiry_after_fault_s": None if expiry is None else round(expiry - fault_s, 3),
            "first_failure_after_fault_s": None if window is None
            else round(window["start_s"] - fault_s, 3)}
