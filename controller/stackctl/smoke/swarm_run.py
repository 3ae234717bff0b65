"""`stackctl smoke` on engine = swarm: keyed wrk load from the load service's tasks
(`swarm.load_replicas`, spread over the nodes) against the gateway's tasks on the front
overlay, results merged, and the compose smoke's judgements where a swarm allows them:
every keyed request answered 200 or 429 with no transport error, every load task reported,
a bogus key is refused, a third of the keys is rate-limited and only those get 429, /hello
says Redis pass before and after, the run is steady (throughput of its last fifth against
its first, from the tasks' answers per slice of time), what it cost and who saturated
(`stackctl.swarm.meter`) with the gateways' connection reuse, the keys' Redis placement
(through a local Redis task container), and the pump's analytics delivered (its csv sink,
read in its task container)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stackctl.context import StackContext
from stackctl.errors import ToolError
from stackctl.tyk.lookup import gateway_listen_port

if TYPE_CHECKING:
    from stackctl.load.plan import SliceCounts
    from stackctl.meter.cost import Cost

BOGUS_KEY = "stackctl-not-a-key"
LOAD_JUDGED_MIN_S = 5.0
"""Shortest run whose steadiness, cost and connection reuse are judged: the load tasks
take a second or two to start, the meter's first snapshot is a quarter into the run and
the fifths must hold more than a few slices (the short smoke of `up` is 3 s)."""
SINK = "the csv sink (in the pump's task)"
SETTLE_TRIES = 3


@dataclass
class SwarmSmokeReport:
    """The swarm smoke's figures and checks."""

    tasks: int
    connections: int
    duration_s: float
    requests: int = 0
    rps: float = 0.0
    latencies_ms: dict[str, float] = field(default_factory=dict)
    per_task_rps: list[float] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    cost: Cost | None = None
    unmetered: str = ""
    fifths: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    not_checked: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every check passed."""
        return all(c["passed"] for c in self.checks)

    def check(self, name: str, passed: bool, detail: str) -> None:
        """Record one check."""
        self.checks.append({"name": name, "passed": passed, "detail": detail})

    def summary(self) -> str:
        """One line."""
        lat = self.latencies_ms
        verdict = "passed" if self.passed else "FAILED"
        spent = self.cost
        cost = (f"; gateway {spent.gateway_cpu_us_per_request or 0:,.0f} µs CPU/request, "
                f"saturated: {spent.saturated}" if spent else "")
        return (f"smoke {verdict} on swarm: {self.requests} requests from {self.tasks} load "
                f"tasks in {self.duration_s:g} s, {self.rps:,.0f} req/s, p50 "
                f"{lat.get('p50', 0):g} ms, p99 {lat.get('p99', 0):g} ms (highest task's)"
                f"{cost}")

    def cost_lines(self) -> list[str]:
        """What the run cost and who saturated, as plain lines (as the compose smoke's)."""
        if self.cost is None:
            return [f"cost not measured: {self.unmetered or 'no data'}"]
        return self.cost.lines() + ([f"metered: {self.unmetered}"] if self.unmetered else [])

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"engine": "swarm", "passed": self.passed, "summary": self.summary(),
                "load_tasks": self.tasks, "connections": self.connections,
                "duration_s": self.duration_s, "requests": self.requests,
                "rps": round(self.rps, 1), "latency_ms": self.latencies_ms,
                "per_task_rps": [round(r, 1) for r in self.per_task_rps],
                "checks": self.checks, "cost": self.cost.as_dict() if self.cost else None,
                "cost_lines": self.cost_lines(), "unmetered": self.unmetered,
                "fifths": self.fifths, **self.extra,
                "not_checked_on_swarm": list(self.not_checked)}


def settled(count: Callable[[], int], pause_s: float, tries: int = SETTLE_TRIES) -> int:
    """The count once two reads `pause_s` apart agree (records of earlier requests to the
    same API still on their way are in it then, not in this run's)."""
    last = count()
    for _ in range(tries):
        time.sleep(pause_s)
        now = count()
        if now == last:
            return now
        last = now
    return last


def run_swarm_smoke(ctx: StackContext, duration_s: float, connections: int, rate: float,
                    keys: int) -> SwarmSmokeReport:
    """Keys for the baked-in smoke API, the metered load from the load tasks, the
    probes and the checks; the keys are deleted again."""
    from pydantic import SecretStr

    from stackctl.clients.gateway import GatewayClient, redis_health
    from stackctl.images.select import stack_images
    from stackctl.load.plan import LoadPlan
    from stackctl.meter.delivered import count_in_text, wait_delivered
    from stackctl.smoke.expect import limit_for
    from stackctl.smoke.redis_probe import placement, probe_with
    from stackctl.smoke.run import ANALYTICS_WAIT_MIN_S, ESTIMATED_WRK_RPS, limiter_in_use
    from stackctl.smoke.setup import LIMIT_PER_S, SmokeKey, key_limits
    from stackctl.steps.bootstrap import API_ID, LISTEN_PATH
    from stackctl.swarm.load import run_load_tasks
    from stackctl.swarm.meter import SwarmMeter, SwarmSource
    from stackctl.swarm.pump_csv import pump_csv
    from stackctl.tyk.apidef import KEY_HEADER, session
    from stackctl.versions import image

    settings = ctx.model.settings
    tasks = settings.swarm.load_replicas
    report = SwarmSmokeReport(tasks, connections, duration_s)
    url = f"http://gateway:{gateway_listen_port()}{LISTEN_PATH}"
    judged = duration_s >= LOAD_JUDGED_MIN_S
    pause_s = settings.pump.purge_delay + 0.5

    unread: list[str] = []

    def count() -> int | None:
        try:
            text = pump_csv(ctx.stack, stack_images(settings)["redis"])
        except ToolError as exc:
            unread.append(str(exc))
            return None
        if text is None:
            unread.append("the pump's task runs on another node (its csv sink is read in "
                          "its volume there)")
            return None
        return count_in_text(text, API_ID)

    made: list[SmokeKey] = []
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        before = redis_health(gw.hello())
        try:
            # As the compose smoke: a third of the keys (at least one) limited far below
            # what they will send, the others unlimited.
            limit = limit_for((rate or ESTIMATED_WRK_RPS) * duration_s / keys)
            for r, lim in key_limits(keys, limit):
                key, key_hash = gw.create_key_hashed(session(API_ID, r, LIMIT_PER_S))
                made.append(SmokeKey(SecretStr(key), key_hash, r, LIMIT_PER_S, lim))
            # The API is the stack's own (baked in): earlier requests' records are counted
            # first; this run's are those that come after.
            first = count()
            baseline = None if first is None else settled(lambda: count() or 0, pause_s)
            plan = LoadPlan(url, tuple(k.key.get_secret_value() for k in made), duration_s,
                            connections, rate)
            meter = SwarmMeter(ctx.stack, ctx.model, duration_s) if judged else None
            if meter is not None:
                meter.start()
            merged, per_task = run_load_tasks(ctx.stack, plan, tasks, image("load").local,
                                              ctx.state_dir / "load", settings.project,
                                              meter=meter)
            # Counters keep their 60 s window: read where they landed right after the run.
            source = SwarmSource(ctx.stack, ctx.model)
            source.refresh()
            probed = probe_with(source.exec_node, [n.name for n in ctx.model.nodes])
            bogus = gw.through(LISTEN_PATH, {KEY_HEADER: BOGUS_KEY}).status
            after = redis_health(gw.hello())
        finally:
            for made_key in made:
                with contextlib.suppress(ToolError):
                    gw.delete_key(made_key.key.get_secret_value())
    total = merged.total()
    report.requests = merged.requests
    report.rps = merged.requests / merged.elapsed_s if merged.elapsed_s else 0.0
    report.latencies_ms = merged.latencies_ms
    report.per_task_rps = [r.requests / r.elapsed_s if r.elapsed_s else 0.0 for r in per_task]
    report.check("load-tasks", len(per_task) == tasks and all(r.requests for r in per_task),
                 f"{len(per_task)} of {tasks} tasks reported, requests "
                 f"{[r.requests for r in per_task]}")
    others = {s: n for s, n in total.items() if s not in (200, 429)}
    report.check("success", merged.requests > 0 and not others and merged.errors == 0,
                 f"{total.get(200, 0)} x 200, {total.get(429, 0)} x 429"
                 + (f", others {others}" if others else "")
                 + (f", {merged.errors} transport errors" if merged.errors else ""))
    limited = [merged.statuses[i] for i, k in enumerate(made) if k.limited]
    free = [merged.statuses[i] for i, k in enumerate(made) if not k.limited]
    report.check("rate-limits", all(c.get(429, 0) > 0 for c in limited)
                 and all(c.get(429, 0) == 0 for c in free),
                 f"{len(limited)} limited keys ({limit} per {LIMIT_PER_S:g} s): "
                 f"{sum(c.get(429, 0) for c in limited)} x 429; {len(free)} unlimited: "
                 f"{sum(c.get(429, 0) for c in free)} x 429")
    report.check("unauthorized", bogus in (401, 403), f"a bogus key got HTTP {bogus}")
    report.check("health", before == after == "pass",
                 f"/hello redis {before} before, {after} after")
    _load_checks(report, merged, per_task, meter, judged)
    placed = placement([probed], [k.key_hash for k in made],
                       limiter_in_use(ctx).in_redis)
    report.check("redis-keys", placed.passed, placed.detail())
    report.extra["redis"] = {"per_primary": placed.per_primary,
                             "sessions": placed.sessions_found,
                             "counters": placed.counters_found}
    # Every answered request and the bogus key's are recorded by the gateways.
    served = merged.requests + 1
    if baseline is None:
        report.not_checked.append(f"analytics delivered: {unread[-1] if unread else '?'}")
    else:
        wait_s = max(ANALYTICS_WAIT_MIN_S, 5.0 * settings.pump.purge_delay)
        delivered, waited = wait_delivered(lambda: (count() or 0) - baseline, served, wait_s)
        check = _analytics(served, delivered, waited, merged.unanswered_max)
        report.check(check.name, check.passed, check.detail)
        report.extra["analytics"] = {"served": served, "delivered": delivered,
                                     "waited_s": waited,
                                     "unanswered_max": merged.unanswered_max}
    return report


def per_second(counts: SliceCounts | None) -> list[int]:
    """Answers per whole second of the merged span (the JSON's timeline)."""
    if counts is None:
        return []
    per = max(1, round(1.0 / counts.width_s))
    return [sum(counts.counts[i:i + per]) for i in range(0, len(counts.counts), per)]


def _analytics(served: int, delivered: int, waited: float, unanswered: int) -> Any:
    from stackctl.smoke.checks import analytics_check

    return analytics_check(served, delivered, waited, unanswered, SINK)


def _load_checks(report: SwarmSmokeReport, merged: Any, per_task: list[Any],
                 meter: Any, judged: bool) -> None:
    """Steady state, cost and connection reuse, as the compose smoke judges them."""
    from stackctl.load.stats import count_slices
    from stackctl.meter.saturation import CHURN_MAX
    from stackctl.smoke import checks

    if not judged:
        why = f"the run is shorter than {LOAD_JUDGED_MIN_S:g} s"
        report.not_checked += [f"steady state: {why}", f"cost per request: {why}",
                               f"connection reuse: {why}"]
        report.unmetered = why
        return
    fifths = count_slices(merged.answers)
    report.fifths = [f.as_dict() for f in fifths]
    report.extra["answers_per_s"] = per_second(merged.answers)
    steady = checks.steady_check(fifths)
    span = ("" if merged.answers is None else
            f" (over the {merged.answers.end - merged.answers.start:.1f} s every load task "
            "ran)")
    report.check(steady.name, steady.passed, steady.detail + span)
    spent, note = meter.cost(per_task)
    report.cost, report.unmetered = spent, note
    reuse = checks.connection_reuse_check(
        spent.new_connections_per_request if spent else None, CHURN_MAX,
        spent.time_wait_upstream if spent else None,
        note or ("; ".join(spent.unavailable) if spent else ""))
    report.check(reuse.name, reuse.passed, reuse.detail)
