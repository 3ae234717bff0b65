"""Profile pro: PostgreSQL started and ready, then the Dashboard, before the gateway (a
Dashboard-mode gateway registers with the Dashboard as it starts)."""

from __future__ import annotations

import time

from stackctl.context import StackContext
from stackctl.errors import StepError
from stackctl.names import DASHBOARD_SERVICE, POSTGRES_SERVICE
from stackctl.pipeline import Outcome, skipped
from stackctl.render.pro import pg_ready, pro_names
from stackctl.runtime.health import Check, probe

READY_TIMEOUT_S = 90.0
POLL_S = 1.0


class ProServices:
    """postgres, its healthcheck until it passes, then the dashboard (profile pro, Compose only)."""

    name = "pro-services"

    def run(self, ctx: StackContext) -> str | Outcome:
        names = pro_names(ctx.model)
        if not names:
            return skipped("profile oss")
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        engine = ctx.engine
        engine.recreate([POSTGRES_SERVICE])
        started = time.monotonic()
        command = Check(tuple(pg_ready()[1:]))
        while True:
            states = engine.states([POSTGRES_SERVICE])
            if states and states[0].state == "running" and probe(engine, states[0], command):
                break
            if time.monotonic() - started > READY_TIMEOUT_S:
                raise StepError(self.name, f"postgres not ready within {READY_TIMEOUT_S:.0f} s",
                                "see `stackctl logs postgres`")
            time.sleep(POLL_S)
        waited = time.monotonic() - started
        engine.recreate([DASHBOARD_SERVICE])
        return f"postgres ready in {waited:.1f} s; dashboard started"
