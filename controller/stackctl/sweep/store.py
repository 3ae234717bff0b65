"""Per-point results under `<out>/points/`, written atomically as each point completes;
a rerun reuses those with the same point and fingerprint (resume)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackctl.state import atomic_write_json, read_json
from stackctl.sweep.points import Point

POINTS_DIR = "points"


def point_path(out: Path, point: Point) -> Path:
    """Where `point`'s result lives."""
    return out / POINTS_DIR / f"{point.slug}.json"


def save_point(out: Path, point: Point, result: dict[str, Any]) -> Path:
    """Write one completed point's result atomically."""
    path = point_path(out, point)
    atomic_write_json(path, result)
    return path


def load_point(out: Path, point: Point, fingerprint: str) -> dict[str, Any] | None:
    """A stored result for `point` with the same fingerprint (complete or with the
    repeats measured so far), else None."""
    try:
        data = read_json(point_path(out, point))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return None
    if data.get("point") != point.as_dict():
        return None
    return data
