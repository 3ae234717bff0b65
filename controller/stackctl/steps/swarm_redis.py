"""Swarm Redis Cluster: every node's task running, the init job complete, then the
readiness rule from a one-shot container on the Redis overlay."""

from __future__ import annotations

from stackctl.context import StackContext

NODES_TIMEOUT_S = 180
JOB_TIMEOUT_S = 240
READY_TIMEOUT_S = 180


class SwarmRedisCluster:
    """Wait for nodes, cluster-init and the cluster's readiness."""

    name = "redis-cluster"

    def run(self, ctx: StackContext) -> str:
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        from stackctl.images.select import stack_images
        from stackctl.swarm.stackfile import INIT_SERVICE
        from stackctl.swarm.wait import wait_cluster_ready, wait_job, wait_running

        run = ctx.results.swarm
        nodes = {n.name: 1 for n in ctx.model.nodes}
        fresh = ({n: run.before for n in nodes if n in run.changed} if run else {})
        wait_running(ctx.stack, nodes, NODES_TIMEOUT_S, "redis nodes", fresh)
        wait_job(ctx.stack, INIT_SERVICE, JOB_TIMEOUT_S)
        verdict = wait_cluster_ready(ctx.model, ctx.stack, stack_images(ctx.model.settings)
                                     ["redis"], READY_TIMEOUT_S)
        s = ctx.model.settings.redis
        return f"{s.shards} primaries x {s.replicas} replicas (tls {s.tls}): {verdict}"
