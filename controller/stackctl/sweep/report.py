"""The sweep report: built from the point results (a JSON document), and rendered from
that document alone as Markdown, so the files always agree."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from stackctl.sweep.idle import idle_ab
from stackctl.sweep.mechanism import ACTIVE_IDLE_S, point_nodes
from stackctl.sweep.noise import Noise, median_spread
from stackctl.sweep.points import AA
from stackctl.sweep.project import HEADROOM, MODEL, TargetLoad, demand, must_wait, project
from stackctl.sweep.recommend import (
    GATEWAY_POOLS,
    Candidate,
    formula,
    recommend,
    worst_case,
)
from stackctl.sweep.stats import Interval, summarize_repeats

REPORT_JSON = "sweep.json"
REPORT_MD = "sweep.md"
REPORT_PNG = "sweep.png"


def pool_points(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points of the pool curve (no idle setting, not the A/A's second run), by
    pool size."""
    return sorted((p for p in points if p["point"]["max_idle"] is None
                   and not p["point"].get("arm")),
                  key=lambda p: int(p["point"]["max_active"]))


def _interval(p: dict[str, Any]) -> Interval:
    return Interval(**p["summary"]["rps_ci"])


def _rps(p: dict[str, Any]) -> tuple[float, ...]:
    return tuple(float(r["closed"]["rps"]) for r in p["repeats"])


def aa_noise(points: list[dict[str, Any]]) -> Noise | None:
    """The A/A pair's noise, when both its runs were measured, with the median spread of
    every point's repeats (noise.RULE)."""
    b = next((p for p in points if p["point"].get("arm") == AA), None)
    if b is None:
        return None
    a = next((p for p in pool_points(points)
              if p["point"]["max_active"] == b["point"]["max_active"]), None)
    spreads = [float(p["summary"]["rps"]["spread_pct"]) for p in points
               if int(p["summary"]["rps"]["n"]) > 1]
    return None if a is None else Noise(int(b["point"]["max_active"]), _rps(a), _rps(b),
                                        median_spread(spreads))


def reference(curve: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The point the demand is read at: the largest pool with a mechanism and no pool
    timeouts (the unconstrained one; its connections count even when its throughput was
    not steady)."""
    ok = [p for p in curve if p["mechanism"] and not p["summary"]["pool_timeouts"]]
    return ok[-1] if ok else None


def reference_nodes(ref: dict[str, Any], points: list[dict[str, Any]]) -> dict[str, Any]:
    """The demand's mechanism: the reference's repeats, with its A/A twin's when that ran
    without pool timeouts too (more repeats under the median of connections in use)."""
    twin = next((p for p in points if p["point"].get("arm") == AA
                 and p["point"]["max_active"] == ref["point"]["max_active"]
                 and not p["summary"]["pool_timeouts"]), None)
    return point_nodes([*ref["repeats"], *(twin["repeats"] if twin else [])])


def _candidate(p: dict[str, Any], waits: bool | None, judge_steady: bool) -> Candidate:
    s = p["summary"]
    steady = s.get("stable") if judge_steady or s.get("stable") is not False else None
    return Candidate(int(p["point"]["max_active"]), _interval(p), steady,
                     int(s["pool_timeouts"]), int(s["errors"]) + int(s["non_2xx"]), waits)


def steadiness_judged(points: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether a point's steadiness can judge it: not when half or more of all the
    sweep's repeats sagged over two or more pools (at every pool alike, that is the
    machine, not a pool; with one pool the two cannot be told apart); the line says why."""
    sagged = sum(int(p["summary"].get("unstable_repeats", 0)) for p in points)
    total = sum(int(p["summary"]["rps"]["n"]) for p in points)
    pools = {int(p["point"]["max_active"]) for p in points}
    if total and sagged * 2 >= total and len(pools) > 1:
        return False, (f"steadiness not judged: {sagged} of {total} repeats over all pools "
                       "sagged in their last fifth, the machine's noise rather than a pool's")
    return True, (f"steadiness: {sagged} of {total} repeats over all pools sagged in their "
                  "last fifth; a pool is unstable only when every repeat of it did")


def knee_check(rec_knee: int | None, sizes: list[int], predicted: int) -> dict[str, Any]:
    """The projection at this machine's own rate against the measured knee: agreement
    within one point of the sweep."""
    if rec_knee is None:
        return {"predicted": predicted, "knee": None, "agrees": None,
                "line": "no knee measured: nothing to check the projection against"}
    at = next((i for i, size in enumerate(sizes) if size >= predicted), len(sizes))
    gap = abs(at - sizes.index(rec_knee))
    ok = gap <= 1
    return {"predicted": predicted, "knee": rec_knee, "agrees": ok,
            "line": f"Little's law at this machine's own rate predicts max_active >= "
                    f"{predicted}; the measured knee is {rec_knee}: "
                    f"{'agrees' if ok else 'disagrees'} ({gap} point(s) apart in the sweep; the "
                    "waits below the knee come from the same connection count, the "
                    "throughput judgement does not)"}


def build_report(points: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
    """The report document. `meta`: project, release, gateways, options, maxclients
    ({"used", "source", ...}), complete, stopped."""
    gateways = int(meta["gateways"])
    maxclients = meta["maxclients"]
    curve = pool_points(points)
    for p in points:
        size = int(p["point"]["max_active"])
        p["summary"] = summarize_repeats(p["repeats"])  # by this release's rules
        p["worst_case"] = worst_case(size, gateways)
        p["worst_case_formula"] = formula(size, gateways)
        p["mechanism"] = point_nodes(p["repeats"])
    ref = reference(curve)
    demands = demand(reference_nodes(ref, points), gateways) if ref else []
    for p in points:
        p["waits"] = must_wait(int(p["point"]["max_active"]), demands) if demands else None
    own = None
    if ref:
        own = project(demands, TargetLoad(float(ref["summary"]["rps_ci"]["mean"]), gateways),
                      int(maxclients["used"]), here=True)
    opts = meta["options"]
    projection = None
    if opts.get("target_rate") and demands:
        goal = TargetLoad(float(opts["target_rate"]),
                          int(opts.get("target_gateways") or gateways), opts.get("maxclients"))
        projection = project(demands, goal, int(goal.maxclients or maxclients["used"]))
    basis = projection or own
    judge_steady, steady_line = steadiness_judged(points)
    rec = recommend([_candidate(p, p["waits"], judge_steady) for p in curve], gateways,
                    int(maxclients["used"]), str(maxclients["source"]), aa_noise(points),
                    floor=int(basis["pool"]) if basis else 1,
                    floor_why="" if basis is None else (
                        f"{basis['in_flight_per_node']:g} commands in flight per node at "
                        f"{basis['rate']:g} req/s over {basis['gateways']} gateway(s) "
                        f"({'the projection' if projection else 'this machine'}), x "
                        f"{HEADROOM:g} over {GATEWAY_POOLS} pools"))
    rec.lines.insert(0, steady_line)
    unjudged = [str(p["point"]["max_active"]) for p in curve
                if p["summary"].get("stable", True) is None]
    if unjudged:
        rec.lines.insert(0, f"steadiness not measured for max_active {', '.join(unjudged)}: "
                         "those points were not excluded as unstable")
    little: dict[str, Any] = {"reference": None, "nodes": [], "model": MODEL}
    if ref and own:
        little = {"reference": ref["point"]["max_active"], "rps": own["rate"],
                  "nodes": [asdict(d) for d in demands], "model": MODEL,
                  "here": own, "check": knee_check(rec.knee, [int(p["point"]["max_active"])
                                                             for p in curve],
                                                   int(own["min_pool"]))}
    ab = None
    b = next((p for p in points if p["point"]["max_idle"] is not None), None)
    if b is not None:
        a = next((p for p in curve if p["point"]["max_active"] == b["point"]["max_active"]),
                 None)
        if a is not None:
            ab = {"max_active": b["point"]["max_active"], "max_idle": b["point"]["max_idle"],
                  **idle_ab(a["summary"]["rps"], b["summary"]["rps"], str(meta["release"]))}
    return {**meta, "points": points, "recommendation": rec.as_dict(), "little": little,
            "projection": projection, "idle_ab": ab}


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
        n = summary.get("unstable_repeats", 0)
        return f"yes ({n} of {summary['rps']['n']} repeats not)" if n else "yes"
    return f"**no** ({summary['unstable_repeats']} of {summary['rps']['n']} repeats)"


def _ci_cell(s: dict[str, Any]) -> str:
    ci = s["rps_ci"]
    if not ci["n"]:
        return "-"
    if ci["sd"] is None:
        return f"{ci['mean']:.1f}"
    return f"{ci['mean']:.1f} [{ci['low']:.0f}, {ci['high']:.0f}]"


def _mechanism_rows(report: dict[str, Any]) -> list[str]:
    rows = ["| max_active | node | commands/s | commands/request | µs/call | in Redis "
            "(cmd/s x µs) | gateway connections in use | open (peak) | pool cap (4 x "
            "max_active x gateways) | waits |", "|" + "---|" * 10]
    gateways = int(report["gateways"])
    for p in pool_points(report["points"]):
        size = int(p["point"]["max_active"])
        for node, m in p["mechanism"].items():
            rows.append(f"| {size} | {node} | {m['commands_per_s']:.0f} "
                        f"| {m['commands_per_request']:.3f} | {m['usec_per_call']:.1f} "
                        f"| {m['in_redis']:.3f} | {m['in_use_connections']:g} "
                        f"| {m['gateway_connections']} "
                        f"| {GATEWAY_POOLS * size * gateways} "
                        f"| {'-' if p['waits'] is None else 'yes' if p['waits'] else 'no'} |")
    return rows


def render_markdown(report: dict[str, Any]) -> str:
    """The Markdown report, from the JSON document only."""
    opts = report["options"]
    mc = report["maxclients"]
    lines = [
        f"# stackctl sweep: {report['project']}", "",
        f"Gateway {report['release']} x {report['gateways']} on "
        f"{report.get('engine', 'compose')}; load: {report['load']}; "
        f"{opts['repeat']} repeat(s) per point, run interleaved (every point once per "
        "round, so the machine's drift spreads over all of them). req/s is the mean with "
        "its 95% t-interval [low, high] over the repeats; the other columns median (± "
        "spread = range/median). A repeat is steady when its last fifth kept 90% of its "
        "first fifth's throughput and at most twice its p99; a point is unstable when every "
        "repeat of it was not, unless half or more of the sweep's repeats were not (then "
        "the machine is, and steadiness is not judged); unstable points are never "
        "recommended. Cost columns are per proxied request of the closed loop.",
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
        arm = " (A/A)" if p["point"].get("arm") else ""
        lines.append(
            f"| {p['point']['max_active']}{arm} | {'-' if idle is None else idle} "
            f"| {_ci_cell(s)} | {_fmt(s['p50_ms'], 2)} | {_fmt(s['p99_ms'], 2)} "
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
                     "MAXACTIVE`): the smallest safe pool of the group indistinguishable "
                     f"from the best ({', '.join(map(str, rec['group']))})"
                     + (f", from the headroom pool {rec['floor']} up (Little's law x "
                        f"{HEADROOM:g}: below)" if rec.get("floor", 1) > 1 else "") + ".")
    if rec["knee"] is not None:
        lines.append(f"Knee: max_active {rec['knee']}.")
    lines += ["", "A pool is slower only when its interval's upper bound is below the "
              "best's lower bound and the gap is wider than the noise (the stack's own "
              "pool run twice, and the points' repeat spread: the rule is below). With 3 "
              "repeats Student's t is 4.30: the interval is about ±2.5 standard deviations "
              "of one repeat, so only differences several times "
              "the repeat-to-repeat noise are called slower; smaller ones are reported as "
              "indistinguishable, never as a winner. It assumes independent, roughly normal "
              "repeats, which 3 repeats cannot check. Safe: steady, no pool timeouts "
              "(gateway log), no errors, no waits (below), worst case under maxclients.",
              "", f"Redis maxclients: live {mc.get('live') or 'not read'}, setting "
              f"{mc['setting']}; used {mc['used']} ({mc['source']}).", "", "```",
              *rec["lines"], "```"]
    little = report["little"]
    lines += ["", "## Mechanism per Redis node (primaries)", "",
              "Commands from Tyk (INFO commandstats before and after each closed loop, "
              "stackctl's probes left out), µs per call inside Redis, and the gateways' "
              "connections (CLIENT LIST by client address right after the loop, the pump's "
              f"left out): in use (idle at most {ACTIVE_IDLE_S:g} s plus the time since the "
              "loop ended; the median over the repeats) and open (the peak). go-redis "
              "opens a connection only when none is idle and reuses the most recent one "
              "first, so the connections in use at an unconstrained pool are the peak "
              "commands in flight; those a burst opened and left idle are not. "
              "Tyk does not expose go-redis' pool statistics (hits, misses, waits: no "
              "`PoolStats` call in the gateway or its storage library), so waits are "
              "inferred: a pool waits when the connections in use at the reference pool "
              "(with its A/A twin's repeats) exceed what the gateway's pools may hold "
              "(4 x max_active).", "",
              *_mechanism_rows(report)]
    if little["reference"] is not None:
        lines += ["", "### Little's law", "",
                  f"Reference: max_active {little['reference']} at "
                  f"{little['rps']:.1f} req/s.", "", little["model"], "", "```",
                  *little["here"]["lines"], "```", "", little["check"]["line"] + "."]
    proj = report.get("projection")
    if proj:
        lines += ["", f"## Projection: {proj['rate']:g} req/s over {proj['gateways']} "
                  "gateway(s)", "", f"**optimisation_max_active = {proj['pool']}**; "
                  f"worst case per node {proj['worst_case']} against maxclients "
                  f"{proj['maxclients']}: {'fits' if proj['fits'] else '**does not fit**'}.",
                  "", "```", *proj["lines"], "```"]
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
