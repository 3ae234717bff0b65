"""The sweep report: built from the point results (a JSON document), and rendered from
that document alone as Markdown, so the files always agree."""

from __future__ import annotations

from typing import Any

from stackctl.sweep.idle import idle_ab
from stackctl.sweep.recommend import Candidate, formula, recommend, worst_case

REPORT_JSON = "sweep.json"
REPORT_MD = "sweep.md"
REPORT_PNG = "sweep.png"


def pool_points(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points of the pool curve (no idle setting), by pool size."""
    return sorted((p for p in points if p["point"]["max_idle"] is None),
                  key=lambda p: int(p["point"]["max_active"]))


def build_report(points: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """The report document. `meta`: project, release, gateways, options, maxclients
    ({"used", "source", ...}), complete, stopped."""
    gateways = int(meta["gateways"])
    maxclients = meta["maxclients"]
    curve = pool_points(points)
    for p in points:
        size = int(p["point"]["max_active"])
        p["worst_case"] = worst_case(size, gateways)
        p["worst_case_formula"] = formula(size, gateways)
    rec = recommend([Candidate(int(p["point"]["max_active"]),
                               float(p["summary"]["rps"]["median"]),
                               p["summary"].get("stable", True) is not False) for p in curve],
                    gateways, int(maxclients["used"]), str(maxclients["source"]))
    unjudged = [str(p["point"]["max_active"]) for p in curve
                if p["summary"].get("stable", True) is None]
    if unjudged:
        rec.lines.insert(0, f"steadiness not measured for max_active {', '.join(unjudged)}: "
                         "those points were not excluded as unstable")
    ab = None
    b = next((p for p in points if p["point"]["max_idle"] is not None), None)
    if b is not None:
        a = next((p for p in curve if p["point"]["max_active"] == b["point"]["max_active"]),
                 None)
        if a is not None:
            ab = {"max_active": b["point"]["max_active"], "max_idle": b["point"]["max_idle"],
                  **idle_ab(a["summary"]["rps"], b["summary"]["rps"], str(meta["release"]))}
    return {**meta, "points": points, "recommendation": rec.as_dict(), "idle_ab": ab}


def _fmt(s: dict[str, Any], digits: int = 1) -> str:
    if not s["n"]:
        return "-"
    return f"{s['median']:.{digits}f} (±{s['spread_pct']:.1f}%)" if s["n"] > 1 else (
        f"{s['median']:.{digits}f}")


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _steady(summary: dict[str, Any]) -> str:
    if summary["stable"] is None:
        return "not measured"
    if summary["stable"]:
        return "yes"
    return f"**no** ({summary['unstable_repeats']} of {summary['rps']['n']} repeats)"


def render_markdown(report: dict[str, Any]) -> str:
    """The Markdown report, from the JSON document only."""
    opts = report["options"]
    mc = report["maxclients"]
    lines = [
        f"# stackctl sweep: {report['project']}", "",
        f"Gateway {report['release']} x {report['gateways']} on "
        f"{report.get('engine', 'compose')}; load: {report['load']}; "
        f"{opts['repeat']} repeat(s) per point, median (± spread = range/median). A point "
        "is steady when every repeat's last fifth kept 90% of its first fifth's throughput "
        "and at most twice its p99; unstable points are never recommended. Cost columns "
        "are per proxied request of the closed loop.",
        "",
    ]
    if not report["complete"]:
        lines += [f"**Incomplete:** {report['stopped']} Rerun the same command to resume.", ""]
    lines += ["| max_active | max_idle | req/s | p50 ms | p99 ms | fixed-rate p99 ms | errors "
              "| non-2xx | pool timeouts | Redis clients (max node) | worst case/node "
              "| gateway µs CPU/req | Redis cmds/req | new conns/req | gateway MiB | steady "
              "| saturated |",
              "|" + "---|" * 17]
    for p in report["points"]:
        s = p["summary"]
        clients = s["redis_clients_max"]
        top = max(clients.values(), default=0)
        idle = p["point"]["max_idle"]
        lines.append(
            f"| {p['point']['max_active']} | {'-' if idle is None else idle} "
            f"| {_fmt(s['rps'])} | {_fmt(s['p50_ms'], 2)} | {_fmt(s['p99_ms'], 2)} "
            f"| {_fmt(s['fixed_p99_ms'], 2)} | {s['errors']} | {s['non_2xx']} "
            f"| {s['pool_timeouts']} | {top} | {p['worst_case']} "
            f"| {_fmt(s['gateway_cpu_us_per_request'], 0)} "
            f"| {_num(s['redis_commands_per_request'], 2)} "
            f"| {_num(s['new_connections_per_request'], 4)} "
            f"| {_num(s['gateway_mem_mib'], 0)} "
            f"| {_steady(s)} "
            f"| {s['saturated']} |")
    rec = report["recommendation"]
    lines += ["", "## Recommendation", ""]
    if rec["max_active"] is None:
        lines.append("No pool size qualifies.")
    else:
        lines.append(f"**optimisation_max_active = {rec['max_active']}** for gateway and "
                     "pump (`TYK_GW_STORAGE_MAXACTIVE`, `TYK_PMP_ANALYTICSSTORAGECONFIG_"
                     "MAXACTIVE`).")
    lines += ["", f"Redis maxclients: live {mc.get('live') or 'not read'}, setting "
              f"{mc['setting']}; used {mc['used']} ({mc['source']}).", "", "```",
              *rec["lines"], "```"]
    ab = report.get("idle_ab")
    if ab:
        lines += ["", "## optimisation_max_idle A/B", "",
                  f"max_active {ab['max_active']}: without idle {ab['a_rps']:.1f} req/s, "
                  f"with {ab['env']}={ab['max_idle']} {ab['b_rps']:.1f} req/s: "
                  f"{ab['verdict']}.",
                  f"The tables say: {ab['tables_note']} (read by {ab['release']}: "
                  f"{'yes' if ab['read_by_release'] else 'no'})."]
    lines += ["", "Worst case per Redis node = (gateway pools x gateways + pump pool) x "
              "max_active; the gateway sizes each of its pools (default, cache, analytics, "
              "rate limiter) per node.", ""]
    return "\n".join(lines)
