"""The ladder's runner on the real stack: write the rung, re-render, recreate, watch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stackctl.fallback.detect import Detection
from stackctl.fallback.state import write_shardcount
from stackctl.fallback.watch import watch
from stackctl.state import read_json
from stackctl.tyk.schema import Component
from stackctl.tyk.support import pump_release, target_versions
from stackctl.tyk.tables import HEALTH_BEFORE_REDIS, SPECS

if TYPE_CHECKING:
    from stackctl.context import StackContext

RUNG_TIMEOUT_S = 90.0
SETTLE_MARGIN_S = 1.0


def stack_components(ctx: StackContext) -> dict[Component, str]:
    """The Redis-connected components in the rendered compose file, with the release each
    runs (gateway, pump; dashboard when the profile renders it)."""
    data = read_json(ctx.compose_file)
    services = data.get("services", {}) if isinstance(data, dict) else {}
    tyk, _ = target_versions(ctx.model.settings)
    releases: dict[Component, str] = {"gateway": tyk,
                                      "pump": pump_release(ctx.model.settings),
                                      "dashboard": tyk}
    return {c: releases[c] for c in SPECS if c in services}


def settle_times(ctx: StackContext) -> dict[Component, float]:
    """How long past healthy each component's log is still read (tables.HEALTH_BEFORE_REDIS:
    one period of its first Redis use, plus a margin)."""
    settings = ctx.model.settings
    sections = {"gateway": settings.gateway, "pump": settings.pump}
    return {c: float(getattr(sections[c], name)) + SETTLE_MARGIN_S
            for c, name in HEALTH_BEFORE_REDIS.items() if c in sections}


class StackRunner:
    """Applies rungs to the running stack through the rendered compose file."""

    def __init__(self, ctx: StackContext, releases: dict[Component, str],
                 timeout: float = RUNG_TIMEOUT_S) -> None:
        self.ctx = ctx
        self.releases = releases
        self.timeout = timeout

    def apply(self, shardcount: int) -> None:
        """Remember the rung, re-render (the compose renderer reads it) and recreate the
        components whose environment changed."""
        from stackctl.context.render import render_stack

        write_shardcount(self.ctx.state_dir, shardcount)
        render_stack(self.ctx)
        self.ctx.compose.up(list(self.releases), wait=False, no_deps=True)

    def wait(self) -> list[Detection]:
        """Watch the recreated components until each is decided."""
        from stackctl.runtime.health import read_healthchecks

        return watch(self.ctx.compose, self.releases, self.timeout,
                     settle=settle_times(self.ctx),
                     checks=read_healthchecks(self.ctx.compose_file))
