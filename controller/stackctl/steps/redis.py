"""Redis Cluster: start the nodes and wait until the gate says the cluster is ready."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.pipeline import Outcome, skipped

READY_TIMEOUT_S = 180


class RedisCluster:
    """`compose up` on the nodes, cluster-init and cluster-gate (Compose fails at once when
    cluster-init fails), then the gate's readiness rule run until it passes."""

    name = "redis-cluster"

    def run(self, ctx: StackContext) -> str | Outcome:
        if why := ctx.cluster.unsupported("start"):
            return skipped(why)
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        from stackctl.cluster.wait import start_cluster

        start_cluster(ctx.compose, READY_TIMEOUT_S, step=self.name)
        s = ctx.model.settings.redis
        return f"{s.shards} primaries x {s.replicas} replicas ready (tls {s.tls})"
