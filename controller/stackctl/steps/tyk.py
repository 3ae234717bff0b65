"""Tyk components: upstream, gateway and pump started, then watched one by one.

Each Redis-connected component is decided by `fallback.watch` (container state, health,
the tables' log signatures); a failure raises `StartupFailure` with every verdict, which
the `fallback` step picks up when the plan defers it.
"""

from __future__ import annotations

from stackctl.context import StackContext

START_TIMEOUT_S = 120


class TykComponents:
    """`compose up` on the Tyk services, then a per-component start-up watch."""

    name = "tyk"

    def __init__(self, timeout: float = START_TIMEOUT_S) -> None:
        self.timeout = timeout

    def run(self, ctx: StackContext) -> str:
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        from stackctl.fallback.detect import StartupFailure
        from stackctl.fallback.stack_runner import settle_times, stack_components
        from stackctl.fallback.watch import watch
        from stackctl.runtime.health import read_healthchecks
        from stackctl.stack_compose import TYK_SERVICES

        # The redis-cluster step saw the cluster ready: --no-deps spares Compose from
        # re-running cluster-init and waiting on the gate again (about 2 s; with the gate's
        # once-a-minute healthcheck, up to a minute: without --no-deps Compose waits for
        # `service_healthy`, with it it does not, measured on Compose 2.40).
        ctx.compose.up(list(TYK_SERVICES), wait=False, no_deps=True)
        detections = watch(ctx.compose, stack_components(ctx), self.timeout,
                           settle=settle_times(ctx), checks=read_healthchecks(ctx.compose_file))
        if not all(d.ok for d in detections):
            raise StartupFailure(self.name, detections)
        return ", ".join(TYK_SERVICES) + " healthy"
