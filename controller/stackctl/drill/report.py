"""The drill report: one JSON document built from the runs, and the Markdown and the
rich summary rendered from that document alone, so they always agree."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stackctl.drill import report_truth as truth
from stackctl.drill.findings import findings
from stackctl.drill.slo import DrillSlo, evaluate
from stackctl.drill.vary import best_line, compare, image_line, label
from stackctl.tyk.gateway_version import SOURCE_TEXT

REPORT_JSON = "drill.json"
REPORT_MD = "drill.md"
VARY_PNG = "drill-vary.png"


def png_name(run: dict[str, Any]) -> str:
    """The timeline plot of one run (with --vary, the combination's values in it; an
    image's `/` and `:` become `_`)."""
    values = "".join(f"-{_short(v)}" for v in (run.get("vary") or {}).values())
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"drill-{run['scenario']}{values}-{run['repeat']}"
                  ) + ".png"


def gateway_line(gateway: Mapping[str, Any] | None, release: str = "") -> str:
    """`Gateway image X: Tyk v5.8.1 (image label), go-redis v9.13.0 (image label), ...`."""
    if not gateway:
        return f"Gateway {release}"

    tyk = (f"Tyk {gateway['release']} ({SOURCE_TEXT.get(str(gateway['release_from']), '?')})"
           if gateway.get("release") else "Tyk release unknown")
    return f"Gateway image {gateway['image']}: {tyk}, {gateway['client']}"


def _short(value: Any) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def run_name(run: dict[str, Any]) -> str:
    """`kill-primary #1`, with --vary `kill-primary #1 [redis.node_timeout_ms=2000]`."""
    name = f"{run['scenario']} #{run['repeat']}"
    return name + (f" [{label(run['vary'])}]" if run.get("vary") else "")


def figures(run: dict[str, Any]) -> dict[str, float | None]:
    """The figures objectives judge."""
    return {"error_window": run["error_window_s"], "recovery": run["recovery_s"],
            "p99_recovery": run["p99_recovery_s"], "lost": run["analytics"]["lost"],
            "failed": run["failed_after_fault"]}


def build_report(runs: list[dict[str, Any]], slos: tuple[DrillSlo, ...],
                 meta: dict[str, Any]) -> dict[str, Any]:
    """The document: `meta` (project, settings, options, files) plus the runs with
    their objectives judged."""
    for run in runs:
        run["slo"] = evaluate(slos, figures(run))
        run["findings"] = findings(run, meta.get("settings", {}), meta.get("gateway"))
    passed = all(r["passed"] for run in runs for r in run["slo"])
    report = {**meta, "runs": runs, "passed": passed}
    if meta.get("options", {}).get("vary"):
        report["comparison"] = compare(runs)
    return report


def _s(value: float | None, unit: str = " s", none: str = "not measured") -> str:
    return none if value is None else f"{value:.1f}{unit}"


NOT_BACK = "not back within the run"


def _kinds(logs: dict[str, Any]) -> str:
    parts = [f"{svc} {kind} {n}" for svc, data in logs.items()
             for kind, n in data["kinds"].items() if kind not in ("connected", "health")]
    return ", ".join(parts) or "none"


def rows(report: dict[str, Any]) -> list[list[str]]:
    """The summary table (Markdown and rich alike)."""
    out = []
    for run in report["runs"]:
        w = run["error_window"]
        out.append([
            run_name(run),
            f"{run['target']['service']} ({run['target']['role']})",
            run["cluster"]["promoted"] or "-",
            f"{run['fault_s']:.2f} s",
            _s(run["recovery_s"], none="not within the run"),
            (">= " if run["error_window_open"] else "") + _s(run["error_window_s"])
            + (f" ({w['start_s']:.1f}-{w['end_s']:.1f})" if w else ""),
            str(run["failed_after_fault"]),
            truth.rejected_cell(run),
            _s(run["p99_recovery_s"], none=NOT_BACK),
            str(run["analytics"]["lost"]),
            f"{run['keys']['valid']}/{run['keys']['total']}",
            "pass" if all(r["passed"] for r in run["slo"]) else "**miss**",
        ])
    return out


HEADER = ["scenario", "target", "new primary", "fault at", "cluster recovery",
          "client error window (from-to s)", "failed requests", "valid keys rejected",
          "p99 back after",
          "analytics lost", "keys valid after", "objectives"]


def render_markdown(report: dict[str, Any]) -> str:
    """The Markdown report, from the JSON document only."""
    o, st = report["options"], report["settings"]
    lines = [
        f"# stackctl drill: {report['project']}", "",
        f"{gateway_line(report.get('gateway'), report['release'])}; "
        f"Redis Cluster {st['shards']} x {st['replicas']}, "
        f"tls {st['tls']}, cluster-node-timeout {st['node_timeout_ms']} ms. Load: builtin "
        f"open model at {o['rate']:g} req/s for {o['duration_s']:g} s with "
        f"at least {o['keys']} keys (more until every primary holds a key's session) "
        "through the published gateway, requests unanswered after "
        f"{o['timeout_s']:g} s count as timeouts; the fault at {o['at_s']:g} s. Outcomes "
        f"in {o['bucket_s']:g} s buckets by send time; the client error window runs from "
        "the first to the last bucket after the fault with a non-2xx outcome; the "
        "cluster's recovery is when every surviving node says cluster_state:ok with all "
        "slots served by live primaries and its links connected (polled through the gate).",
        *(["", f"Engine {report['engine']}: {report['engine_note']}"]
          if report.get("engine_note") else []),
        "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(report)]
    for run in report["runs"]:
        c, a, k = run["classes"], run["analytics"], run["keys"]
        lines += [
            "", f"## {run_name(run)}", "",
            *([f"- {gateway_line(run['gateway'])}"] if run.get("gateway") and report.get(
                "options", {}).get("vary") else []),
            f"- target: {run['target']['service']} ({run['target']['role']}, "
            f"{run['target']['addr'] or 'gateway'}); after restore: "
            f"{run['restore']['target_role_after']}",
            f"- load keys: {run['load']['keys']}, {run['load']['keys_on_target']} of them "
            "with their session on the target",
            f"- fault at {run['fault_s']:.3f} s (the command took {run['fault_took_s']:.3f} s)",
            f"- new primary {run['cluster']['promoted'] or '-'} after "
            f"{_s(run['cluster']['promoted_after_fault_s'])}; cluster recovered after "
            f"{_s(run['recovery_s'])} ({run['cluster']['polls']} polls)",
            f"- client error window {run['error_window_s']:.1f} s, "
            f"{run['failed_after_fault']} failed requests after the fault, "
            f"{run['failed_before_fault']} before"
            + (f"; the last failure {run['errors_until_after_fault_s']:.1f} s after the fault"
               if run.get("errors_until_after_fault_s") is not None else "")
            + ("; still open when the load ended (a lower bound: rerun with a longer "
               "--duration)" if run["error_window_open"] else ""),
            truth.headline(run),
            *truth.phase_lines(run),
            "- outcomes: " + ", ".join(f"{cls} {n}" for cls, n in c.items()),
            f"- p99 before the fault {_s(run['baseline_p99_ms'], ' ms')}; back within "
            f"{_s(run['p99_back_within_ms'], ' ms')}: "
            + (NOT_BACK if run["p99_recovery_s"] is None
               else f"after {run['p99_recovery_s']:.1f} s"),
            f"- rate held before the fault: {run['rate_held_before_fault']:.1f} of "
            f"{run['load']['rate']:g} req/s" + _rate_note(run.get("rate_check")),
            _cache_line(run.get("session_cache")),
            f"- log signatures: {_kinds(run['logs'])}; error lines: gateway "
            f"{run['logs']['gateway']['error_lines']}, pump "
            f"{run['logs']['pump']['error_lines']}",
            f"- analytics: served {a['served']}, delivered {a['delivered']}, lost {a['lost']}"
            + _pump_note(run.get("pump")),
            f"- keys valid afterwards: {k['valid']}/{k['total']} "
            f"({k['valid_at_once']} at once, after {k['waited_s']:.1f} s)",
            *truth.probe_lines(run),
            *truth.survival_line(run.get("pump")),
            f"- restored in {run['restore']['seconds']:.1f} s",
            *_task_lines(run.get("task")),
            f"- timeline: {run['plot']}",
        ]
        lines += [f"- **finding**: {f['text']}" for f in run.get("findings", [])]
        for r in run["slo"]:
            lines.append(f"- objective {r['slo']}: {'pass' if r['passed'] else 'MISS'} "
                         f"({r['value']})")
    if "comparison" in report:
        lines += comparison_markdown(report)
    lines.append("")
    return "\n".join(lines)


def _task_lines(task: dict[str, Any] | None) -> list[str]:
    """Swarm: the target's task before the fault and after the restore."""
    if not task:
        return []
    was, now = task["before"], task.get("after") or {}
    started = task.get("new_task_started_after_fault_s")
    line = (f"- swarm task: {was['task_id'][:12]} ({was['ip'] or '-'}) "
            + (f"replaced by {now.get('task_id', '?')[:12]} ({now.get('ip') or '-'}, "
               f"{'a new' if task['ip_changed'] else 'the same'} address)"
               + (f", its container started {started:.1f} s after the fault"
                  if started is not None else "")
               if task["replaced"] else "kept (not replaced)"))
    return [line]


def _rate_note(check: dict[str, Any] | None) -> str:
    if not check:
        return " (the pre-fault phase was too short to judge the rate)"
    return (f" (live count {check['start_s']:.2f}-{check['end_s']:.2f} s: "
            f"{check['short_by']:.1%} short, within {check['tolerance']:.0%})")


def _cache_line(cache: dict[str, Any] | None) -> str:
    if not cache:
        return "- session cache: not recorded"
    first = cache["first_failure_after_fault_s"]
    seen = "no failure" if first is None else f"first failure {first:.1f} s after the fault"
    if not cache["on"]:
        return f"- gateway session cache off: every request reads Redis; {seen}"
    return (f"- gateway session cache on ({cache['ttl_s']} s, from the load's start): the "
            f"load's keys next re-read Redis {cache['expiry_after_fault_s']:.1f} s after "
            f"the fault; {seen} (clients with many keys, cached at other moments, would "
            "see errors from the fault on: count the window from the fault then)")


def _pump_note(pump: dict[str, Any] | None) -> str:
    if not pump:
        return ""
    drain = ("not drained within the wait" if pump["drain_s"] is None
             else f"drained {pump['drain_s']:.1f} s after the pump restarted")
    return (f"; backlog while the pump was down: up to {pump['max']} records "
            f"(+{pump['growth_per_s']}/s), {pump['at_restart']} at the restart, {drain}")


VARY_HEADER = ["scenario", "combination", "runs", "client error window",
               "cluster recovery", "window - recovery"]


def comparison_rows(report: dict[str, Any]) -> list[list[str]]:
    """The --vary table (Markdown and rich alike)."""
    return [[r["scenario"], r["combination"], str(r["runs"]),
             (">= " if r["open"] else "") + _s(r["error_window_s"]),
             _s(r["recovery_s"], none="not within the run"),
             _s(r["window_minus_recovery_s"], none="-")]
            for r in report["comparison"]["rows"]]


def comparison_markdown(report: dict[str, Any]) -> list[str]:
    """The --vary section: the table, the best combination per scenario, the plot."""
    lines = ["", "## Comparison (--vary)", "",
             "| " + " | ".join(VARY_HEADER) + " |", "|" + "---|" * len(VARY_HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in comparison_rows(report)]
    lines.append("")
    lines += [f"- {best_line(sc, b)}" for sc, b in report["comparison"]["best"].items()]
    lines += [f"- {image_line(e)}" for e in report["comparison"].get("images", [])]
    if report["files"].get("vary_plot"):
        lines.append(f"- plot: {report['files']['vary_plot']}")
    return lines
