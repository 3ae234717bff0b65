"""A point's pool settings as the gateway's and pump's environment, names from the tables,
written to the overrides file the compose renderer reads."""

from __future__ import annotations

from pathlib import Path

from stackctl.render.tyk import ENV_OVERRIDES_FILE
from stackctl.state import atomic_write_json
from stackctl.sweep.points import Point
from stackctl.tyk.lookup import by_role
from stackctl.tyk.schema import Component

COMPONENTS: tuple[Component, ...] = ("gateway", "pump")


def point_env(point: Point) -> dict[str, dict[str, str]]:
    """`{"gateway": {"TYK_GW_STORAGE_MAXACTIVE": "64"}, "pump": {...}}` for `point`."""
    out: dict[str, dict[str, str]] = {}
    for component in COMPONENTS:
        env = {by_role(component, "max_active").env: str(point.max_active)}
        if point.max_idle is not None:
            env[by_role(component, "max_idle").env] = str(point.max_idle)
        out[component] = env
    return out


def write_overrides(state_dir: Path, env: dict[str, dict[str, str]]) -> None:
    """Replace the overrides file (atomic)."""
    atomic_write_json(state_dir / ENV_OVERRIDES_FILE, env)


def clear_overrides(state_dir: Path) -> None:
    """Remove the overrides file: the next render is the stack's own again."""
    (state_dir / ENV_OVERRIDES_FILE).unlink(missing_ok=True)
