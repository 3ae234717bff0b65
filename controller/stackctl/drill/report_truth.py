"""The report lines of issue 25, from a run's JSON alone: the valid keys' rejections,
the window taken apart with its evidence, what the health probes said (and the restarts
a chart liveness probe would have made), and how long analytics survive a pump outage."""

from __future__ import annotations

from typing import Any

PHASE_NAMES = {"to_first_failure": "fault -> first failure",
               "until_recovery": "failing until the cluster recovered",
               "after_recovery": "failing after the recovery"}


def rejected_cell(run: dict[str, Any]) -> str:
    """The summary table's cell: `7.2 s (34%)`, or `-`."""
    r = run.get("valid_key_rejections") or {}
    if not r.get("requests"):
        return "-"
    return f"{r['seconds']:.1f} s ({r['share']:.0%})"


def headline(run: dict[str, Any]) -> str:
    """`valid keys rejected for 7.2 s` (or not at all)."""
    r = run.get("valid_key_rejections") or {}
    if not r.get("requests"):
        return "- valid keys rejected: none (no 401/403 after the fault)"
    return (f"- **valid keys rejected for {r['seconds']:.1f} s** "
            f"({r['start_s']:.1f}-{r['end_s']:.1f} s): {r['requests']} requests answered "
            f"401/403, {r['share']:.1%} of those sent after the fault and "
            f"{r['share_of_failed']:.0%} of the failed ones. The drill's keys are valid: "
            "the gateway could not read their sessions from Redis")


def phase_lines(run: dict[str, Any]) -> list[str]:
    """The window taken apart, each phase with its log signatures and probes."""
    p = run.get("phases")
    if not p or p.get("to_first_failure_s") is None:
        return ["- window taken apart: no failure after the fault"]
    lines = [f"- window taken apart: fault -> first failure {p['to_first_failure_s']:.1f} s; "
             f"failing until the cluster recovered {p['until_recovery_s']:.1f} s; failing "
             f"after the recovery {p['after_recovery_s']:.1f} s (together {p['total_s']:.1f}"
             " s, the fault to the last failure)"]
    for key, ev in (p.get("evidence") or {}).items():
        logs = ", ".join(f"{k} x{v['count']} ({v['first_s']:.0f}-{v['last_s']:.0f} s)"
                         for k, v in ev["logs"].items()) or "no log signature"
        said = ", ".join(f"{ep} pass {v['pass']}/{v['samples']}"
                         for ep, v in ev["probes"].items()) or "no probe sample"
        lines.append(f"  - {PHASE_NAMES[key]} ({ev['from_s']:.1f}-{ev['to_s']:.1f} s): "
                     f"gateway log {logs}; probes {said}")
    return lines


def probe_lines(run: dict[str, Any]) -> list[str]:
    """What each probe said, its false passes and the liveness restarts."""
    pr = run.get("probes")
    if not pr:
        return []
    lines = []
    for ep in pr["endpoints"].values():
        says = ", ".join(f"{k} {v}" for k, v in ep["says"].items())
        lie = ep["pass_while_failing"]
        line = (f"- probe {ep['path']} ({ep['component']}, every {pr['every_s']:g} s): "
                f"{ep['samples']} samples: {says}; max {ep['max_latency_ms'] or 0:.0f} ms")
        if lie["flag"]:
            line += (f"; **said pass while more than 1% of requests failed** in "
                     f"{lie['seconds']} of {lie['failing_seconds']} failing seconds")
        lines.append(line + f" ({ep['based_on']})")
        live = ep.get("liveness")
        if live:
            pb = live["probe"]
            lines.append(
                f"- a Kubernetes liveness probe with Tyk's chart defaults ({pb['path']} "
                f"every {pb['period_s']:g} s, timeout {pb['timeout_s']:g} s, restart after "
                f"{pb['failure_threshold']} failures) would have restarted the gateway "
                f"{live['restarts']} time(s)"
                + (f" (at {', '.join(f'{t:.0f}' for t in live['at_s'])} s)"
                   if live["restarts"] else "")
                + f"; {live['failed_probes']} of its probes would have failed")
    for name, why in pr.get("not_probed", {}).items():
        if name != "ready_decided":
            lines.append(f"- probe {name} not sampled: {why}")
    if "ready_decided" in pr.get("not_probed", {}):
        lines.append(f"- /ready: {pr['not_probed']['ready_decided']}")
    return lines


def survival_line(pump: dict[str, Any] | None) -> list[str]:
    """stop-pump: how long records survive, when the first would be lost."""
    sv = (pump or {}).get("survival")
    if not sv:
        return []
    first = ("no loss in sight (no TTL, no maxmemory)" if sv["first_loss_in_s"] is None
             else f"the first records would be lost {sv['first_loss_in_s']:.0f} s after "
             f"the reading ({sv['first_loss_cause']})"
             + (f", {sv['first_loss_after_stop_s']:.0f} s after the pump stopped"
                if sv.get("first_loss_after_stop_s") is not None else ""))
    bpr = "n/a" if sv["bytes_per_record"] is None else f"{sv['bytes_per_record']:.0f} B"
    caps = ", ".join(f"{n['node']} {n['maxmemory'] or 'no'} maxmemory" for n in sv["nodes"])
    return [f"- analytics survival with the pump down: {sv['records']} records waiting, "
            f"{bpr} per record, growing {sv['rate_per_s'] or 0:g}/s; records survive at most "
            f"{sv['expiry_s']} s (each list expires that long after it was created); "
            f"{first}; {caps or 'memory not read'}"]
