"""Redis Cluster: start the nodes and wait until the gate says the cluster is ready."""

from __future__ import annotations

from stackctl.steps.context import StepContext

READY_TIMEOUT_S = 180


class RedisCluster:
    """`compose up --wait` on the nodes, cluster-init and cluster-gate."""

    name = "redis-cluster"

    def run(self, ctx: StepContext) -> str:
        if ctx.results.get("unchanged"):
            return "unchanged: nothing recreated"
        from stackctl.cluster.compose import GATE_SERVICE

        ctx.compose.up([GATE_SERVICE], wait=True, timeout=READY_TIMEOUT_S)
        s = ctx.model.settings.redis
        return f"{s.shards} primaries x {s.replicas} replicas ready (tls {s.tls})"
