"""Redis Cluster: the nodes running and the cluster ready by the gate's rule."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.pipeline import Outcome, skipped


class RedisCluster:
    """`Engine.start_redis`; skipped where the cluster access starts no Redis (external)."""

    name = "redis-cluster"

    def run(self, ctx: StackContext) -> str | Outcome:
        if why := ctx.cluster.unsupported("start"):
            return skipped(why)
        return ctx.engine.start_redis(ctx)
