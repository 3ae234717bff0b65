"""`stackctl smoke` on engine = swarm: keyed wrk load from the load service's tasks
(`swarm.load_replicas`, spread over the nodes) against the gateway's tasks on the front
overlay, results merged, and the functional checks that need no Compose: every keyed
request answered 200 or 429 with no transport error, every load task reported, a bogus key is
refused, a third of the keys is rate-limited and only those get 429, /hello says Redis
pass before and after. The compose smoke's analytics, Redis-placement, cost, steady-state
and connection-reuse checks are not made here yet (said in the report)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from stackctl.context import StackContext
from stackctl.errors import ToolError
from stackctl.tyk.lookup import gateway_listen_port

NOT_YET = ("analytics delivered", "keys' Redis placement", "cost per request",
           "steady state", "connection reuse")
BOGUS_KEY = "stackctl-not-a-key"


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
        return (f"smoke {verdict} on swarm: {self.requests} requests from {self.tasks} load "
                f"tasks in {self.duration_s:g} s, {self.rps:,.0f} req/s, p50 "
                f"{lat.get('p50', 0):g} ms, p99 {lat.get('p99', 0):g} ms (highest task's)")

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"engine": "swarm", "passed": self.passed, "summary": self.summary(),
                "load_tasks": self.tasks, "connections": self.connections,
                "duration_s": self.duration_s, "requests": self.requests,
                "rps": round(self.rps, 1), "latency_ms": self.latencies_ms,
                "per_task_rps": [round(r, 1) for r in self.per_task_rps],
                "checks": self.checks, "not_checked_on_swarm": list(NOT_YET)}


def run_swarm_smoke(ctx: StackContext, duration_s: float, connections: int, rate: float,
                    keys: int) -> SwarmSmokeReport:
    """Keys for the baked-in smoke API, the load from the load tasks, the checks; the
    keys are deleted again."""
    from stackctl.clients.gateway import GatewayClient, redis_health
    from stackctl.load.plan import LoadPlan
    from stackctl.smoke.expect import limit_for
    from stackctl.smoke.run import ESTIMATED_WRK_RPS
    from stackctl.smoke.setup import LIMIT_PER_S, key_limits
    from stackctl.steps.bootstrap import API_ID, LISTEN_PATH
    from stackctl.swarm.load import run_load_tasks
    from stackctl.tyk.apidef import KEY_HEADER, session
    from stackctl.versions import image

    settings = ctx.model.settings
    tasks = settings.swarm.load_replicas
    report = SwarmSmokeReport(tasks, connections, duration_s)
    url = f"http://gateway:{gateway_listen_port()}{LISTEN_PATH}"
    made: list[str] = []
    with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
        before = redis_health(gw.hello())
        try:
            # As the compose smoke: a third of the keys (at least one) limited far below
            # what they will send, the others unlimited.
            limit = limit_for((rate or ESTIMATED_WRK_RPS) * duration_s / keys)
            limits = key_limits(keys, limit)
            made = [gw.create_key(session(API_ID, r, LIMIT_PER_S)) for r, _ in limits]
            plan = LoadPlan(url, tuple(made), duration_s, connections, rate)
            merged, per_task = run_load_tasks(ctx.stack, plan, tasks, image("load").local,
                                              ctx.state_dir / "load", settings.project)
            bogus = gw.through(LISTEN_PATH, {KEY_HEADER: BOGUS_KEY}).status
            after = redis_health(gw.hello())
        finally:
            for key in made:
                with contextlib.suppress(ToolError):
                    gw.delete_key(key)
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
    limited = [merged.statuses[i] for i, (_, lim) in enumerate(limits) if lim]
    free = [merged.statuses[i] for i, (_, lim) in enumerate(limits) if not lim]
    report.check("rate-limits", all(c.get(429, 0) > 0 for c in limited)
                 and all(c.get(429, 0) == 0 for c in free),
                 f"{len(limited)} limited keys ({limit} per {LIMIT_PER_S:g} s): "
                 f"{sum(c.get(429, 0) for c in limited)} x 429; {len(free)} unlimited: "
                 f"{sum(c.get(429, 0) for c in free)} x 429")
    report.check("unauthorized", bogus in (401, 403), f"a bogus key got HTTP {bogus}")
    report.check("health", before == after == "pass",
                 f"/hello redis {before} before, {after} after")
    return report
