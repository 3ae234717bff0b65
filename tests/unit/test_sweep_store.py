"""Sweep resume: point results stored atomically (after every repeat) and reused only
when they match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackctl.sweep.points import Point
from stackctl.sweep.store import load_point, point_path, save_point


def _result(point: Point, fp: str, complete: bool = True) -> dict[str, object]:
    return {"point": point.as_dict(),
            "fingerprint": fp, "complete": complete, "repeats": []}


@pytest.mark.unit
def test_saved_point_is_reused_with_same_fingerprint(tmp_path: Path) -> None:
    p = Point(64)
    save_point(tmp_path, p, _result(p, "abc"))
    assert load_point(tmp_path, p, "abc") is not None
    assert load_point(tmp_path, p, "other") is None
    assert load_point(tmp_path, Point(64, 2000), "abc") is None
    assert not list(point_path(tmp_path, p).parent.glob(".*.tmp"))


@pytest.mark.unit
def test_partial_points_resume_corrupt_or_mismatched_are_redone(tmp_path: Path) -> None:
    p = Point(16)
    save_point(tmp_path, p, _result(p, "abc", complete=False))
    part = load_point(tmp_path, p, "abc")  # resumed from its repeats so far
    assert part is not None and part["complete"] is False
    assert load_point(tmp_path, Point(16, arm="aa"), "abc") is None
    point_path(tmp_path, p).write_text("{not json")
    assert load_point(tmp_path, p, "abc") is None
    point_path(tmp_path, p).write_text(json.dumps(_result(Point(17), "abc")))
    assert load_point(tmp_path, p, "abc") is None
    assert load_point(tmp_path, Point(999), "abc") is None
