"""Sweep report: built from points whose figures this test states, checked against values
the test computes by the rule itself (not against a report the code wrote).

The rule: the smallest pool within 2% of the best steady median throughput whose worst case
per Redis node, (4 x gateways + 1) x max_active, stays under maxclients; an unstable point
is never chosen and never sets the best.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from stackctl.sweep.plot import plot
from stackctl.sweep.report import build_report, render_markdown

pytestmark = pytest.mark.unit

GATEWAYS = 2
MAXCLIENTS = 2000
RELEASE = "v5.8.0-e65eff00608a"
# max_active: (median req/s, spread %, p99 ms, stable); n = 3 repeats each
FIGURES: dict[int, tuple[float, float, float, bool]] = {
    16: (3000.0, 4.0, 40.0, True),    # too slow
    32: (4960.0, 3.0, 30.0, False),   # fast enough but unstable: never chosen
    64: (4905.0, 2.5, 25.0, True),    # within 2% of 5000 and 9 x 64 = 576 < 2000: chosen
    128: (5000.0, 1.5, 22.0, True),   # the best steady median
    256: (5100.0, 9.0, 90.0, False),  # fastest, unstable: must not set the best
    512: (4990.0, 2.0, 24.0, True),   # fast, but 9 x 512 = 4608 >= 2000
}
IDLE = (64, 2000, 4750.0, 2.0)  # the A/B point: max_active, max_idle, req/s, spread %


def _spread(median: float, spread_pct: float, n: int = 3) -> dict[str, Any]:
    half = median * spread_pct / 200
    return {"median": median, "min": median - half, "max": median + half, "n": n,
            "spread_pct": spread_pct}


def _point(max_active: int, rps: float, spread: float, p99: float, stable: bool,
           max_idle: int | None = None) -> dict[str, Any]:
    return {
        "point": {"max_active": max_active, "max_idle": max_idle},
        "label": f"max_active={max_active}",
        "summary": {
            "rps": _spread(rps, spread),
            "p50_ms": _spread(p99 / 4, 5.0),
            "p99_ms": _spread(p99, 10.0),
            "fixed_p99_ms": _spread(3.25, 12.0),
            "fixed_rps": _spread(100.0, 0.0),
            "errors": 1, "non_2xx": 2, "pool_timeouts": 3,
            "redis_clients_max": {"redis-1": max_active // 2, "redis-2": max_active // 4 + 7},
            "gateway_cpu_us_per_request": _spread(210.0, 6.0),
            "redis_commands_per_request": 1.013,
            "new_connections_per_request": 0.0004,
            "gateway_mem_mib": 61.4,
            "stable": stable, "unstable_repeats": 0 if stable else 1,
            "saturated": "machine",
        },
    }


def _points() -> list[dict[str, Any]]:
    points = [_point(m, *figures) for m, figures in FIGURES.items()]
    size, idle, rps, spread = IDLE
    points.append(_point(size, rps, spread, 26.0, True, max_idle=idle))
    return points


def _meta(maxclients: int = MAXCLIENTS) -> dict[str, Any]:
    return {
        "project": "unit", "release": RELEASE, "gateways": GATEWAYS, "complete": True,
        "stopped": "", "engine": "compose", "load": "a stated load",
        "maxclients": {"live": maxclients, "setting": maxclients, "used": maxclients,
                       "source": "live, CONFIG GET maxclients"},
        "options": {"connections": 32, "duration_s": 5.0, "warmup_s": 2.0, "rate": 100.0,
                    "repeat": 3},
    }


def _by_the_rule(figures: dict[int, tuple[float, float, float, bool]], gateways: int,
                 maxclients: int) -> tuple[float, int | None]:
    best = max(rps for rps, _, _, stable in figures.values() if stable)
    fits = [m for m, (rps, _, _, stable) in figures.items()
            if stable and rps >= best * 0.98 and (4 * gateways + 1) * m < maxclients]
    return best, min(fits, default=None)


def test_the_scenario_exercises_every_branch() -> None:
    best, chosen = _by_the_rule(FIGURES, GATEWAYS, MAXCLIENTS)
    assert (best, chosen) == (5000.0, 64)
    # without the stability rule 32 would win, and 256 would raise the bar above 64
    assert FIGURES[64][0] < 5100.0 * 0.98 and FIGURES[32][0] >= best * 0.98


@pytest.mark.parametrize("maxclients", [MAXCLIENTS, 9 * 128, 9 * 64, 9 * 64 + 1, 100])
def test_recommendation_follows_the_rule(maxclients: int) -> None:
    report = build_report(_points(), _meta(maxclients))
    best, chosen = _by_the_rule(FIGURES, GATEWAYS, maxclients)
    rec = report["recommendation"]
    assert rec["max_active"] == chosen
    assert rec["best_rps"] == pytest.approx(best)
    assert rec["threshold_rps"] == pytest.approx(round(best * 0.98, 1))
    assert (rec["gateways"], rec["maxclients"]) == (GATEWAYS, maxclients)
    verdicts = {}
    for line in rec["lines"]:
        if line.startswith("max_active "):
            verdicts[int(line.split()[1].rstrip(":"))] = line.split(f" {maxclients}: ")[1]
    expected = {}
    for m, (rps, _, _, stable) in FIGURES.items():
        fits = (4 * GATEWAYS + 1) * m < maxclients
        expected[m] = ("unstable: ignored" if not stable else "too slow" if rps < best * 0.98
                       else "ok" if fits else "over maxclients")
    assert verdicts == expected
    last = rec["lines"][-1]
    assert last == ("no pool size qualifies: lower the pool or raise maxclients"
                    if chosen is None else
                    f"recommended optimisation_max_active = {chosen} (the smallest that "
                    "qualifies)")


def test_worst_case_arithmetic_per_point() -> None:
    report = build_report(_points(), _meta())
    assert len(report["points"]) == len(FIGURES) + 1
    for p in report["points"]:
        m = p["point"]["max_active"]
        assert p["worst_case"] == (4 * GATEWAYS + 1) * m
        assert p["worst_case_formula"] == (
            f"(4 pools x {GATEWAYS} gateway(s) + 1 pump pool) x {m} = {9 * m}")
    lines = report["recommendation"]["lines"]
    assert f"max_active 512: 4990.0 req/s, worst case (4 pools x 2 gateway(s) + 1 pump pool) " \
           f"x 512 = 4608 >= {MAXCLIENTS}: over maxclients" in lines
    assert f"max_active 64: 4905.0 req/s, worst case (4 pools x 2 gateway(s) + 1 pump pool) " \
           f"x 64 = 576 < {MAXCLIENTS}: ok" in lines


def test_idle_ab_compares_the_pair_against_the_noise() -> None:
    ab = build_report(_points(), _meta())["idle_ab"]
    size, idle, rps, spread = IDLE
    a_rps, a_spread = FIGURES[size][0], FIGURES[size][1]
    diff = (rps - a_rps) / a_rps * 100
    assert (ab["max_active"], ab["max_idle"]) == (size, idle)
    assert (ab["a_rps"], ab["b_rps"]) == (a_rps, rps)
    assert ab["diff_pct"] == pytest.approx(round(diff, 2))
    assert ab["noise_pct"] == max(spread, a_spread)
    assert abs(diff) > max(spread, a_spread)  # -3.2% against the noise of 2.5%
    assert ab["verdict"] == f"difference {diff:+.1f}% exceeds the noise (2.5%)"


def _row(p: dict[str, Any], worst: int) -> str:
    s = p["summary"]
    idle = p["point"]["max_idle"]
    steady = "yes" if s["stable"] else "**no** (1 of 3 repeats)"
    return (f"| {p['point']['max_active']} | {'-' if idle is None else idle} "
            f"| {s['rps']['median']:.1f} (±{s['rps']['spread_pct']:.1f}%) "
            f"| {s['p50_ms']['median']:.2f} (±5.0%) | {s['p99_ms']['median']:.2f} (±10.0%) "
            f"| 3.25 (±12.0%) | 1 | 2 | 3 | {max(s['redis_clients_max'].values())} | {worst} "
            f"| 210 (±6.0%) | 1.01 | 0.0004 | 61 | {steady} | machine |")


def test_markdown_rows_are_the_stated_figures() -> None:
    points = _points()
    stated = copy.deepcopy(points)
    md = render_markdown(build_report(points, _meta()))
    rows = [line for line in md.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert rows == [_row(p, 9 * p["point"]["max_active"]) for p in stated]
    assert "| 32 | - | 4960.0 (±3.0%) |" in rows[1] and "**no** (1 of 3 repeats)" in rows[1]
    assert "**optimisation_max_active = 64** for gateway and pump" in md
    assert (f"Redis maxclients: live {MAXCLIENTS}, setting {MAXCLIENTS}; used {MAXCLIENTS} "
            "(live, CONFIG GET maxclients).") in md
    assert "best median throughput 5000.0 req/s; within 2%: >= 4900.0 req/s" in md
    assert "max_active 64: without idle 4905.0 req/s, with TYK_GW_STORAGE_MAXIDLE=2000 " \
           "4750.0 req/s: difference -3.2% exceeds the noise (2.5%)." in md


def test_markdown_says_when_nothing_qualifies_and_when_incomplete() -> None:
    meta = {**_meta(100), "complete": False, "stopped": "Stopped by the budget."}
    md = render_markdown(build_report(_points(), meta))
    assert "No pool size qualifies." in md and "optimisation_max_active =" not in md
    assert "**Incomplete:** Stopped by the budget. Rerun the same command to resume." in md


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plot_draws_the_report_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt
    import numpy as np

    figures: list[Any] = []
    close = plt.close
    monkeypatch.setattr(plt, "close", lambda fig=None: (figures.append(fig), close(fig)))
    report = build_report(_points(), _meta())
    path = plot(report, tmp_path / "sweep.png")

    assert _png_size(path.read_bytes()) == (700, 400)  # figsize 7 x 4 in at 100 dpi
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (400, 700)
    rgb = pixels[..., :3]
    assert float(np.mean(np.all(rgb > 0.98, axis=-1))) < 0.97  # not blank
    # both series are drawn in their colours: tab:blue (31,119,180), tab:red (214,39,40)
    for colour in ((31, 119, 180), (214, 39, 40)):
        near = np.all(np.abs(rgb * 255 - np.array(colour)) < 12, axis=-1)
        assert int(near.sum()) > 50, colour

    (fig,) = figures
    left, right = fig.axes
    curve = sorted(m for m in FIGURES)  # the pool curve: no idle point, by size
    rps_line = next(ln for ln in left.get_lines() if ln.get_marker() == "o")
    assert list(rps_line.get_xdata()) == curve
    assert list(rps_line.get_ydata()) == [FIGURES[m][0] for m in curve]
    rec_line = next(ln for ln in left.get_lines() if ln.get_linestyle() == "--")
    assert list(rec_line.get_xdata()) == [64, 64]
    (p99_line,) = right.get_lines()
    assert list(p99_line.get_xdata()) == curve
    assert list(p99_line.get_ydata()) == [FIGURES[m][2] for m in curve]
    assert left.get_title() == f"unit: gateway {RELEASE} x {GATEWAYS}"
