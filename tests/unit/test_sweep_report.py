"""Sweep report: built from repeats whose figures this test states (summarised by the real
`summarize_repeats`), checked against what the test computes by the rule itself.

The rule: a pool is slower only when its 95% t-interval clears the best's and the gap is
wider than the A/A noise; the smallest safe pool of the rest is recommended; waits are
inferred when the demand at the unconstrained pool exceeds 4 x max_active per gateway.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import pytest

from stackctl.sweep.plot import plot
from stackctl.sweep.report import build_report, reference_nodes, render_markdown
from stackctl.sweep.stats import summarize_repeats

pytestmark = pytest.mark.unit

GATEWAYS = 2
MAXCLIENTS = 2000
RELEASE = "v5.8.0-e65eff00608a"
# max_active: req/s of its 3 repeats, gateway connections to redis-1 (both gateways)
FIGURES: dict[int, tuple[list[float], int]] = {
    1: ([3000.0, 3050.0, 2950.0], 8),     # slower, and 20 wanted > 4 x 1 x 2: waits
    4: ([4950.0, 5000.0, 4900.0], 20),    # indistinguishable: the recommendation
    16: ([5000.0, 4990.0, 5010.0], 20),
    64: ([5010.0, 4980.0, 5040.0], 20),   # the stack's own pool, and the best
    512: ([5000.0, 5020.0, 4980.0], 20),  # 9 x 512 = 4608 >= 2000: over maxclients
}
AA_RPS = [4990.0, 5000.0, 5010.0]  # 64 again: the A/A pair's second run


def _repeat(rps: float, conns: int, opened: int | None = None) -> dict[str, Any]:
    run = {"engine": "builtin", "requests": int(rps * 10), "rps": rps, "p50_ms": 2.0,
           "p99_ms": rps / 200, "errors": 0, "non_2xx": 0}
    node = {"commands_per_s": rps, "commands_per_request": 1.0, "usec_per_call": 2.5,
            "in_redis": rps * 2.5e-6, "in_use_connections": conns,
            "gateway_connections": conns if opened is None else opened,
            "connections_by_address": {"10.0.0.5": conns // 2, "10.0.0.6": conns // 2}}
    return {"closed": run, "fixed": {**run, "rps": 100.0}, "pool_timeouts": 0,
            "steady": {"passed": True, "detail": "", "fifths": []}, "cost": {},
            "saturated": "machine", "gateway_cpu_us_per_request": 210.0,
            "gateway_mem_mib": 61.0, "redis_clients": {"redis-1": conns + 2},
            "maxclients_live": MAXCLIENTS, "nodes": {"redis-1": node}}


def _point(size: int, rps: list[float], conns: int | list[int], arm: str = "",
           opened: int | None = None) -> dict[str, Any]:
    """`conns`: in use, one for every repeat or one per repeat; `opened`: open, if more."""
    each = conns if isinstance(conns, list) else [conns] * len(rps)
    repeats = [_repeat(r, c, opened) for r, c in zip(rps, each, strict=True)]
    return {"point": {"max_active": size, "max_idle": None, "arm": arm},
            "label": f"max_active={size}", "repeats": repeats, "complete": True,
            "summary": summarize_repeats(repeats)}


def _points() -> list[dict[str, Any]]:
    return [*(_point(m, rps, c) for m, (rps, c) in FIGURES.items()),
            _point(64, AA_RPS, 20, arm="aa")]


def _meta(**options: Any) -> dict[str, Any]:
    return {
        "project": "unit", "release": RELEASE, "gateways": GATEWAYS, "complete": True,
        "stopped": "", "engine": "compose", "load": "a stated load",
        "maxclients": {"live": MAXCLIENTS, "setting": MAXCLIENTS, "used": MAXCLIENTS,
                       "source": "live, CONFIG GET maxclients"},
        "options": {"connections": 32, "duration_s": 5.0, "warmup_s": 2.0, "rate": 100.0,
                    "repeat": 3, **options},
    }


def _interval(values: list[float]) -> tuple[float, float]:
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    return mean - 4.303 * sd / math.sqrt(3), mean + 4.303 * sd / math.sqrt(3)


def test_the_judgement_by_intervals_noise_and_waits() -> None:
    report = build_report(_points(), _meta())
    rec = report["recommendation"]
    best_low = _interval(FIGURES[64][0])[0]
    assert _interval(FIGURES[1][0])[1] < best_low  # 1 clears the best: slower
    assert _interval(FIGURES[4][0])[1] >= best_low  # 4 does not
    assert rec["best_max_active"] == 64 and rec["slower"] == [1]
    assert rec["group"] == [4, 16, 64, 512]
    # the noise: the median of the points' repeat spreads (1.0%) is above the A/A
    # difference |5010 - 5000| / 5005 (0.2%) and the A/A half-width (0.43%)
    spreads = [(max(v) - min(v)) / statistics.median(v) * 100
               for v in [*(rps for rps, _ in FIGURES.values()), AA_RPS]]
    assert rec["noise"]["spread_pct"] == pytest.approx(statistics.median(spreads), abs=0.01)
    assert rec["noise"]["diff_pct"] == pytest.approx(0.2, abs=0.01)
    assert rec["noise"]["pct"] == rec["noise"]["spread_pct"] == pytest.approx(1.0, abs=0.01)
    assert rec["noise"]["outliers"] == []
    assert rec["unsafe"]["512"][0].endswith("over maxclients")
    waits = {p["point"]["max_active"]: p["waits"] for p in report["points"]}
    assert waits == {1: True, 4: False, 16: False, 64: False, 512: False}
    # 4 is the knee (no waits from it up), but it has no room for a burst: 10 in flight
    # per node x 2 headroom over 4 pools asks for 5, so the smallest safe pool of the
    # group from 5 up: 16
    assert rec["knee"] == 4 and rec["floor"] == 5 and rec["max_active"] == 16
    assert rec["lines"][-2] == ("headroom: 10 commands in flight per node at 5000 req/s "
                                "over 2 gateway(s) (this machine), x 2 over 4 pools -> at "
                                "least max_active 5")
    assert rec["lines"][-1] == ("recommended optimisation_max_active = 16: the smallest "
                                "safe pool indistinguishable from the best and at least "
                                "the headroom pool 5")


def test_little_s_law_here_agrees_with_the_knee_and_projects() -> None:
    report = build_report(_points(), _meta(target_rate=40_000.0, target_gateways=4))
    little = report["little"]
    assert little["reference"] == 512
    (node,) = little["nodes"]
    # per gateway: 5000/2 commands/s, 20/2 connections -> 10 / 2500 s = 4000 µs held
    assert node["hold_us"] == 4000.0 and node["connections"] == 10
    assert little["here"]["in_flight_per_node"] == 10.0
    assert little["here"]["min_pool"] == 3  # ceil(10 / 4) -> first swept >= 3 is 4
    assert little["check"]["agrees"] is True and little["check"]["knee"] == 4
    proj = report["projection"]
    # 40000 / 4 = 10000 req/s per gateway x 1.0 x 4000 µs = 40 in flight
    assert proj["in_flight_per_node"] == 40.0
    assert (proj["min_pool"], proj["pool"]) == (10, 20)
    assert proj["worst_case"] == (4 * 4 + 1) * 20 and proj["fits"] is True
    md = render_markdown(report)
    assert "## Projection: 40000 req/s over 4 gateway(s)" in md
    assert "**optimisation_max_active = 20**" in md
    assert little["check"]["line"] in md


def test_markdown_rows_and_recommendation() -> None:
    report = build_report(_points(), _meta())
    md = render_markdown(report)
    low, high = _interval(FIGURES[1][0])
    assert f"| 1 | - | 3000.0 [{low:.0f}, {high:.0f}] |" in md
    assert "| 64 (A/A) | - | 5000.0 [" in md
    assert "**optimisation_max_active = 16** for gateway and pump" in md
    assert "indistinguishable from the best (4, 16, 64, 512)" in md
    assert "| 1 | redis-1 | 3000 | 1.000 | 2.5 | 0.008 | 8 | 8 | 8 | yes |" in md
    assert "A/A noise: max_active 64 twice, 5010.0 and 5000.0 req/s" in md
    assert "no `PoolStats` call" in md


def test_markdown_says_when_nothing_qualifies_and_when_incomplete() -> None:
    meta = {**_meta(), "complete": False, "stopped": "Stopped by the budget.",
            "maxclients": {"live": 8, "setting": 8, "used": 8, "source": "setting"}}
    md = render_markdown(build_report(_points(), meta))
    assert "No pool size qualifies." in md and "**optimisation_max_active =" not in md
    assert "**Incomplete:** Stopped by the budget. Rerun the same command to resume." in md


def test_plot_draws_intervals_from_zero_and_marks_the_knee(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures: list[Any] = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: (figures.append(fig), close(fig)))
    path = plot(build_report(_points(), _meta()), tmp_path / "sweep.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (
        700, 1000)
    (fig,) = figures
    top, mid, low = fig.axes
    curve = sorted(FIGURES)  # no A/A arm on the curve
    rps_line = next(ln for ln in top.get_lines() if ln.get_marker() == "o")
    assert list(rps_line.get_xdata()) == curve
    assert list(rps_line.get_ydata()) == pytest.approx(
        [statistics.fmean(FIGURES[m][0]) for m in curve])
    assert top.get_ylim()[0] == 0 and mid.get_ylim()[0] == 0
    for ax in (top, mid, low):
        assert [4, 4] in [list(ln.get_xdata()) for ln in ax.get_lines()]  # knee
    conns = next(ln for ln in low.get_lines() if ln.get_label() == "redis-1 in use")
    assert list(conns.get_ydata()) == [FIGURES[m][1] for m in curve]
    assert any(ln.get_label() == "redis-1 open (peak)" for ln in low.get_lines())
    assert top.get_title() == f"unit: gateway {RELEASE} x {GATEWAYS}"


def test_a_burst_of_open_connections_at_the_reference_moves_no_knee() -> None:
    # The reference pool (512) opened 400 connections in a burst in every repeat and
    # left them idle, and in one repeat had 200 in use: the peak of those open (400 / 2
    # gateways = 200 > 4 x 16) would say 1, 4 and 16 wait (knee 64); connections in use,
    # median over the repeats (20, 200, 20 -> 20; 10 per gateway), keep the knee at 4.
    points = [p for p in _points() if p["point"]["max_active"] != 512]
    points.append(_point(512, FIGURES[512][0], [20, 200, 20], opened=400))
    report = build_report(points, _meta())
    rec = report["recommendation"]
    ref = next(p for p in report["points"] if p["point"]["max_active"] == 512)
    assert ref["mechanism"]["redis-1"]["gateway_connections"] == 400
    assert ref["mechanism"]["redis-1"]["in_use_connections"] == 20
    assert report["little"]["reference"] == 512
    assert report["little"]["nodes"][0]["connections"] == 10
    waits = {p["point"]["max_active"]: p["waits"] for p in report["points"]}
    assert waits == {1: True, 4: False, 16: False, 64: False, 512: False}
    assert rec["knee"] == 4 and rec["floor"] == 5 and rec["max_active"] == 16
    md = render_markdown(report)
    assert "| 512 | redis-1 | 5000 | 1.000 | 2.5 | 0.013 | 20 | 400 | 4096 | no |" in md


def test_the_reference_demand_joins_its_a_a_twin_s_repeats() -> None:
    ref = _point(64, FIGURES[64][0], 20)
    twin = _point(64, AA_RPS, [40, 40, 40], arm="aa")
    timed_out = {**twin, "summary": {**twin["summary"], "pool_timeouts": 3}}
    assert reference_nodes(ref, [ref, twin])["redis-1"]["in_use_connections"] == 30.0
    assert reference_nodes(ref, [ref, timed_out])["redis-1"]["in_use_connections"] == 20.0


def test_one_a_a_burst_is_named_and_does_not_set_the_noise() -> None:
    # The A/A twin's second repeat fell 18% in a burst: with it, the pair is 6% apart,
    # more than the 4 -> 64 gap; left out, the noise is the points' repeat spread.
    burst = [4990.0, 4100.0, 5010.0]
    points = [p for p in _points() if p["point"].get("arm") != "aa"]
    points.append(_point(64, burst, 20, arm="aa"))
    rec = build_report(points, _meta())["recommendation"]
    noise = rec["noise"]
    assert [(o["arm"], o["round"], o["rps"]) for o in noise["outliers"]] == [
        ("A'", 2, 4100.0)]
    raw = abs(statistics.fmean(FIGURES[64][0]) - statistics.fmean(burst))
    assert noise["raw_pct"] == pytest.approx(
        raw / statistics.fmean([*FIGURES[64][0], *burst]) * 100, abs=0.01)
    assert noise["raw_pct"] > 5 and noise["diff_pct"] < 0.5
    assert noise["pct"] == noise["spread_pct"] < 2
    assert rec["slower"] == [1] and rec["max_active"] == 16
    assert any(line.startswith("A/A outlier repeat(s), left out: A' round 2 at 4100.0")
               for line in rec["lines"]), rec["lines"]


def _sag(points: list[dict[str, Any]], sizes: dict[int, int]) -> list[dict[str, Any]]:
    """`sizes`: max_active -> how many of its repeats (from the first) sagged."""
    for p in points:
        if p["point"]["arm"]:
            continue
        for r in p["repeats"][:sizes.get(p["point"]["max_active"], 0)]:
            r["steady"] = {"passed": False, "detail": "x0.84", "fifths": []}
    return points


def test_a_pool_is_unstable_only_when_every_repeat_of_it_sagged() -> None:
    # 16 sagged in every repeat, 4 in two of three: 5 of 18 repeats over the sweep.
    report = build_report(_sag(_points(), {16: 3, 4: 2}), _meta())
    rec = report["recommendation"]
    assert rec["lines"][0] == ("steadiness: 5 of 18 repeats over all pools sagged in their "
                               "last fifth; a pool is unstable only when every repeat of it "
                               "did")
    assert 16 not in rec["group"] and "16" in rec["unsafe"] and 4 in rec["group"]
    assert "| yes (2 of 3 repeats not) |" in render_markdown(report)


def test_steadiness_is_not_judged_when_half_the_sweep_sagged() -> None:
    # 9 of 18: at every pool alike, the machine; no pool is excluded for it.
    report = build_report(_sag(_points(), {1: 3, 4: 3, 16: 3}), _meta())
    rec = report["recommendation"]
    assert rec["lines"][0].startswith("steadiness not judged: 9 of 18 repeats")
    assert rec["group"] == [4, 16, 64, 512] and rec["max_active"] == 16


def test_one_pool_that_sagged_is_still_judged_unstable() -> None:
    # one pool: the machine and the pool cannot be told apart, so it is not recommended
    point = _sag([_point(64, FIGURES[64][0], 20)], {64: 3})
    rec = build_report(point, _meta())["recommendation"]
    assert rec["max_active"] is None and rec["lines"][0].startswith("steadiness: 3 of 3")


def test_in_flight_at_this_machine_s_rate_is_the_connections_measured() -> None:
    # The reference's request rate (mean 5050) and its commands/s (median 5000) are
    # averaged differently; recomputing the in flight from them gave 10.1 for the 10 in
    # use per gateway, and the headroom pool 6 instead of 5.
    points = [p for p in _points() if p["point"]["max_active"] != 512]
    points.append(_point(512, [4950.0, 5000.0, 5200.0], 20))
    report = build_report(points, _meta())
    assert report["little"]["here"]["in_flight_per_node"] == 10.0
    assert report["recommendation"]["floor"] == 5
    # The arithmetic line stays true: Little's product as computed, then what was taken.
    line = next(ln for ln in report["little"]["here"]["lines"] if "; taken as 10," in ln)
    assert " = 10.10 in flight per gateway; taken as 10, the connections measured" in line
