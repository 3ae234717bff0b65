"""The remembered REDIGOCLUSTER_SHARDCOUNT rung (`<state_dir>/fallback.json`, atomic): the
compose renderer reads it, so every `up` after a rung worked starts there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackctl.state import atomic_write_json, read_json

FALLBACK_FILE = "fallback.json"
SHARDCOUNT_ENV = "REDIGOCLUSTER_SHARDCOUNT"
RUNGS = (128, 256)
"""The reference page's values, tried in order."""


def _load(state_dir: Path) -> dict[str, Any]:
    try:
        data = read_json(state_dir / FALLBACK_FILE)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def read_shardcount(state_dir: Path) -> int | None:
    """The rung in force, or None when the variable is not set."""
    value = _load(state_dir).get("shardcount")
    return value if isinstance(value, int) and value > 0 else None


def write_shardcount(state_dir: Path, value: int | None) -> None:
    """Set (or clear, with None) the rung in force; other keys are kept."""
    data = _load(state_dir)
    data["shardcount"] = value
    atomic_write_json(state_dir / FALLBACK_FILE, data)


def write_last_report(state_dir: Path, report: dict[str, Any]) -> None:
    """Keep the last ladder report (and diagnosis) beside the rung."""
    data = _load(state_dir)
    data["last_report"] = report
    atomic_write_json(state_dir / FALLBACK_FILE, data)


def shardcount_env(state_dir: Path) -> dict[str, str]:
    """What every Redis-connected service's compose `environment` gets ({} when unset)."""
    value = read_shardcount(state_dir)
    return {SHARDCOUNT_ENV: str(value)} if value is not None else {}


def rungs_after(current: int | None) -> tuple[int, ...]:
    """The rungs still to try above the one in force."""
    return tuple(r for r in RUNGS if current is None or r > current)
