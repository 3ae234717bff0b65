"""Redis Cluster: the nodes running and the cluster ready by the gate's rule."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.pipeline import Outcome


class RedisCluster:
    """`Engine.start_redis` (external mode: skipped, stackctl starts no Redis)."""

    name = "redis-cluster"

    def run(self, ctx: StackContext) -> str | Outcome:
        return ctx.engine.start_redis(ctx)
