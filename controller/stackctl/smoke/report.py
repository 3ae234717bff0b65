"""The smoke's verdict: checks and objectives, as JSON and as a rich table."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from stackctl.load.keys import SmokeSetup
from stackctl.load.plan import LoadResult
from stackctl.load.stats import count_slices, slices
from stackctl.meter.cost import Cost
from stackctl.meter.saturation import CHURN_MAX
from stackctl.smoke import checks
from stackctl.smoke.options import SmokeOptions
from stackctl.smoke.redis_probe import NodeKeys, placement
from stackctl.smoke.shared import Sharing
from stackctl.smoke.slo import SloResult, evaluate, with_default
from stackctl.tyk.lookup import rate_limiter
from stackctl.tyk.schema import RateLimiter


@dataclass
class SmokeReport:
    """Everything a smoke run found, and the verdict."""

    checks: list[checks.Check]
    slos: list[SloResult]
    data: dict[str, Any]

    @property
    def passed(self) -> bool:
        """Every check and every objective passed."""
        return all(c.passed for c in self.checks) and all(s.passed for s in self.slos)

    def as_dict(self) -> dict[str, Any]:
        """The `--json` document."""
        return {"passed": self.passed, "summary": self.summary(),
                "checks": [c.as_dict() for c in self.checks],
                "slos": [s.as_dict() for s in self.slos], **self.data}

    def summary(self, informative: Collection[str] | None = None) -> str:
        """One line: the verdict and the headline figures. `informative`: the checks a caller
        reports without judging (the objectives then too); their misses read "reported only"."""
        missed = [c.name for c in self.checks if not c.passed] + [
            s.slo.text for s in self.slos if not s.passed]
        noted = [] if informative is None else [
            n for n in missed if n in informative or n in {s.slo.text for s in self.slos}]
        failed = [n for n in missed if n not in noted]
        lat, tasks, cost = self.data["latency_ms"], self.data["load_tasks"], self.data["cost"]
        head = (f"{self.data['requests']} requests"
                + (f" from {tasks} load tasks" if tasks else "")
                + f", {self.data['rps']:.0f} req/s, p99 {lat['p99']:.1f} ms"
                + (" (the highest task's)" if tasks else "")
                + (f", saturated: {cost['saturated']}" if cost else ""))
        unjudged = [n.split(":", 1)[0] for n in self.data["not_checked"]]
        if unjudged:
            head += f"; not judged: {', '.join(unjudged)}"
        verdict = (f"FAILED: {', '.join(failed)}" if failed
                   else "the checks it judges pass" if noted else "all checks pass")
        return f"{head}; {verdict}" + (
            f"; reported only, not judged: {', '.join(noted)}" if noted else "")

    def print(self, console: Console) -> None:
        """The rich table."""
        table = Table("check", "", "detail", title="stackctl smoke", title_justify="left")
        for c in self.checks:
            table.add_row(c.name, "[green]pass[/]" if c.passed else "[red]FAIL[/]", c.detail)
        for s in self.slos:
            table.add_row(f"slo {s.slo.text}", "[green]pass[/]" if s.passed else "[red]FAIL[/]",
                          f"measured {s.value:.3f}")
        console.print(table)
        for line in self.cost_lines():
            console.print(f"  {line}", markup=False, highlight=False)
        if self.data["not_checked"]:
            console.print("  not checked: " + "; ".join(self.data["not_checked"]),
                          markup=False, highlight=False)
        style = "green" if self.passed else "red"
        console.print(f"[{style}]{self.summary()}[/]  ({self.data['engine']}, "
                      f"{self.data['note']})")

    def cost_lines(self) -> list[str]:
        """What the run cost and who saturated, as plain lines."""
        lines = list(self.data.get("cost_lines") or []) or [
            f"cost not measured: {self.data.get('unmetered') or 'no data'}"]
        return lines + ([f"steady: {self.data['steady']}"] if self.data.get("steady") else [])

    def markdown(self) -> str:
        """The report as Markdown."""
        rows = [f"| {c.name} | {'pass' if c.passed else '**FAIL**'} | {_cell(c.detail)} |"
                for c in self.checks]
        rows += [f"| slo {s.slo.text} | {'pass' if s.passed else '**FAIL**'} | "
                 f"measured {s.value:.3f} |" for s in self.slos]
        fifths = self.data.get("fifths") or []
        parts = ["# stackctl smoke", "", self.summary(), "",
                 "| check | verdict | detail |", "|---|---|---|", *rows, "",
                 *(f"Not checked: {n}" for n in self.data["not_checked"]),
                 "## What it cost", "", *(f"- {line}" for line in self.cost_lines()), ""]
        if fifths:
            parts += ["## Fifths of the run", "", "| from s | to s | req/s | p99 ms |",
                      "|---:|---:|---:|---:|",
                      *(f"| {f['start_s']:.1f} | {f['end_s']:.1f} | {f['rps']:.0f} | "
                        f"{_ms(f['p99_ms'])} |" for f in fifths), ""]
        return "\n".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def build_report(options: SmokeOptions, rate: float, made: SmokeSetup, result: LoadResult,
                 redis_samples: Sequence[Sequence[NodeKeys]], hello: Sequence[str],
                 unauthorized: Sequence[int], served: int, delivered: int | None,
                 waited_s: float, cleanup_problems: Sequence[str],
                 limiter: RateLimiter | None = None, cost: Cost | None = None,
                 unmetered: str = "", sink: str = "the csv sink",
                 per_task: Sequence[LoadResult] = (), tasks: int = 0,
                 not_checked: Sequence[str] = (), in_flight: int | None = None,
                 sharing: Sharing | None = None) -> SmokeReport:
    """Judge the measurements (`limiter` None: Tyk's default; `delivered` None: unread;
    `per_task`: each load task's result, `result` the merge; `in_flight`: default
    connections; `sharing`: the gateways the DRL hears, what is not judged and why)."""
    limiter = limiter or rate_limiter("default")
    sharing = sharing or Sharing(1)
    not_checked = [*not_checked, *sharing.not_checked()]
    judged_delivery = delivered is not None and not sharing.analytics_unjudged
    outcomes = [checks.KeyOutcome(k.rate, k.per, k.limited, Counter(s))
                for k, s in zip(made.keys, result.statuses, strict=True)]
    placed = placement(redis_samples, [k.key_hash for k in made.keys], limiter.in_redis)
    fifths = (count_slices(result.answers) if result.answers is not None
              else slices(result.timeline, result.elapsed_s))
    steady = ([checks.steady_check(fifths)]
              if result.timeline or result.answers is not None or not result.requests
              else [])
    found = [
        *([checks.Check("load-tasks", len(per_task) == tasks
                        and all(r.requests for r in per_task),
                        f"{len(per_task)} of {tasks} tasks reported, requests "
                        f"{[r.requests for r in per_task]}")] if tasks else []),
        checks.success_check(outcomes),
        checks.latency_check(result.latencies_ms, result.corrected, result.requests),
        *steady,
        checks.connection_reuse_check(
            cost.new_connections_per_request if cost else None, CHURN_MAX,
            cost.time_wait_upstream if cost else None,
            unmetered or ("; ".join(cost.unavailable) if cost else "")),
        checks.auth_check(outcomes, unauthorized),
        *([] if sharing.rates_unjudged else [checks.rate_limit_check(
            outcomes, result.started_at, result.ended_at, limiter.kind,
            options.connections if in_flight is None else in_flight, limiter.name,
            sharing.gateways, sharing.rate_note, sharing.sliding_refuses)]),
        checks.Check("redis-keys", placed.passed, placed.detail()),
        checks.health_check(hello),
        *([checks.analytics_check(served, delivered, waited_s, result.unanswered_max, sink)]
          if judged_delivery and delivered is not None else []),
    ]
    if cleanup_problems:
        found.append(checks.Check("cleanup", False, cleanup_problems[0]))
    figures = {**result.latencies_ms, "success": checks.success_pct(outcomes),
               "rps": result.rps}
    data = {
        "requests": result.requests,
        "rps": round(result.rps, 1),
        "latency_ms": result.latencies_ms,
        "latency_uncorrected_ms": result.uncorrected_ms or result.latencies_ms,
        "analytics": {"served": served, "delivered": delivered, "waited_s": waited_s,
                      "unanswered_max": result.unanswered_max},
        "statuses": {str(s): n for s, n in sorted(result.total().items())},
        "redis": {"per_primary": placed.per_primary, "sessions": placed.sessions_found,
                  "counters": placed.counters_found},
        "engine": result.engine, "note": result.note, "load_tasks": tasks,
        "per_task_rps": [round(r.rps, 1) for r in per_task],
        "not_checked": list(not_checked),
        "duration_s": round(result.elapsed_s, 3), "connections": options.connections,
        "rate": rate, "keys": len(made.keys),
        "limited_keys": sum(1 for k in made.keys if k.limited), "api_id": made.api_id,
        "rate_limiter": limiter.name, "drl_gateways": sharing.gateways,
        "fifths": [f.as_dict() for f in fifths],
        "steady": "" if steady else f"not judged: the {result.engine} engine reports no "
                  "per-request times (use the builtin engine)",
        "cost": cost.as_dict() if cost else None,
        "cost_lines": cost.lines() if cost else [],
        "unmetered": unmetered,
    }
    return SmokeReport(found, evaluate(with_default(options.slos), figures), data)


def _ms(value: float | None) -> str:
    """A latency cell: milliseconds, or "n/a" where the run has none (load tasks' counts)."""
    return "n/a" if value is None else f"{value:.1f}"
