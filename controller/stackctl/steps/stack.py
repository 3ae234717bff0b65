"""The steps that bring the stack's own parts up, each through the engine or the cluster
access: certificates, render, deploy, the Redis Cluster, the Tyk services, their health,
and the record of what was applied."""

from __future__ import annotations

from stackctl.cluster.pki import ensure_pki, verify_pki
from stackctl.context import StackContext
from stackctl.context.health import check_health
from stackctl.context.render import record_applied
from stackctl.errors import StepError, ToolError
from stackctl.pipeline import Outcome, skipped


class Certificates:
    """Ensure the CA, node and client certificates (TLS modes only; kept when valid)."""

    name = "certificates"

    def run(self, ctx: StackContext) -> str | Outcome:
        if why := ctx.cluster.unsupported("pki"):
            return skipped(why)
        if not ctx.model.tls:
            return skipped("not needed (tls off)")

        result = ensure_pki(ctx.model)
        verify_pki(ctx.model)
        issued = [c for c in result.certs if c.action != "kept"]
        return f"{len(issued)} issued, {len(result.certs) - len(issued)} kept"


class Render:
    """Every file the stack runs from, written atomically into the state dir (`Engine.render`)."""

    name = "render"

    def run(self, ctx: StackContext) -> str:
        return ctx.engine.render(ctx)


class Deploy:
    """The whole stack created or updated at once where the engine does (`Engine.roll_out`)."""

    name = "deploy"

    def run(self, ctx: StackContext) -> str | Outcome:
        return ctx.engine.roll_out(ctx)


class RedisCluster:
    """The nodes running, the cluster ready (`Engine.start_redis`); skipped when external."""

    name = "redis-cluster"

    def run(self, ctx: StackContext) -> str | Outcome:
        if why := ctx.cluster.unsupported("start"):
            return skipped(why)
        return ctx.engine.start_redis(ctx)


class TykComponents:
    """Upstream, gateway and pump started and decided (`Engine.start_tyk`; `StartupFailure`)."""

    name = "tyk"

    def run(self, ctx: StackContext) -> str:
        return ctx.engine.start_tyk(ctx)


class Health:
    """The gateway's /hello reports Redis `pass`; the pump passes its own check."""

    name = "health"

    def run(self, ctx: StackContext) -> str:
        try:
            health = check_health(ctx)
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl status` and "
                            "`stackctl logs gateway pump`") from None
        return f"gateway {health.version} redis pass; pump healthy"


class Record:
    """Remember the applied inputs, so the next `up` can skip what did not change."""

    name = "record"

    def run(self, ctx: StackContext) -> str:
        record_applied(ctx)
        return "state saved"
