"""The ladder's runner on the real stack: write the rung, re-render, recreate, watch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stackctl.context.render import render_stack
from stackctl.rung import write_shardcount
from stackctl.runtime.health import read_healthchecks
from stackctl.tyk.detect import Detection
from stackctl.tyk.schema import Component
from stackctl.tyk.watch import settle_times, watch

if TYPE_CHECKING:
    from stackctl.context import StackContext

RUNG_TIMEOUT_S = 90.0


class StackRunner:
    """Applies rungs to the running stack through the rendered compose file."""

    def __init__(self, ctx: StackContext, releases: dict[Component, str],
                 timeout: float = RUNG_TIMEOUT_S) -> None:
        self.ctx = ctx
        self.releases = releases
        self.timeout = timeout

    def apply(self, shardcount: int) -> None:
        """Remember the rung, re-render, and recreate the components whose environment changed."""
        write_shardcount(self.ctx.state_dir, shardcount)
        render_stack(self.ctx)
        self.ctx.compose.up(list(self.releases), wait=False, no_deps=True)

    def wait(self) -> list[Detection]:
        """Watch the recreated components until each is decided."""
        return watch(self.ctx.compose, self.releases, self.timeout,
                     settle=settle_times(self.ctx.model.settings),
                     checks=read_healthchecks(self.ctx.compose_file))
