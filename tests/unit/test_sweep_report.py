"""Sweep report: Markdown and PNG rendered from a stored JSON report agree with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackctl.sweep.plot import plot
from stackctl.sweep.report import build_report, pool_points, render_markdown

FIXTURE = Path(__file__).parent / "fixtures" / "sweep" / "report.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _report() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(FIXTURE.read_text())
    return data


@pytest.mark.unit
def test_markdown_rows_match_the_json_figures() -> None:
    report = _report()
    md = render_markdown(report)
    for p in report["points"]:
        idle = p["point"]["max_idle"]
        row = (f"| {p['point']['max_active']} | {'-' if idle is None else idle} "
               f"| {p['summary']['rps']['median']:.1f}")
        assert row in md
        assert f"| {p['worst_case']} |" in md
    rec = report["recommendation"]
    assert f"**optimisation_max_active = {rec['max_active']}**" in md
    for line in rec["lines"]:
        assert line in md
    assert report["idle_ab"]["verdict"] in md


@pytest.mark.unit
def test_rebuilt_report_recommends_as_stored() -> None:
    report = _report()
    meta = {k: v for k, v in report.items()
            if k not in ("points", "recommendation", "idle_ab")}
    rebuilt = build_report(report["points"], meta)
    assert rebuilt["recommendation"] == report["recommendation"]
    assert rebuilt["idle_ab"] == report["idle_ab"]
    sizes = [p["point"]["max_active"] for p in pool_points(report["points"])]
    assert sizes == sorted(sizes)


@pytest.mark.unit
def test_plot_writes_a_png(tmp_path: Path) -> None:
    path = plot(_report(), tmp_path / "sweep.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
