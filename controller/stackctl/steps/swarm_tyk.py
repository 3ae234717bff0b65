"""Swarm Tyk components: upstream, gateway (gateway.replicas tasks) and pump running, the
gateway's and the pump's tasks passing their HTTP probes (`swarm.health`: the images have
no shell for a healthcheck), then the host's way to the gateway: the local access proxy
unless the gateway is published."""

from __future__ import annotations

from stackctl.context import StackContext

START_TIMEOUT_S = 180


class SwarmTykComponents:
    """Wait for the Tyk services' tasks; start the access proxy."""

    name = "tyk"

    def run(self, ctx: StackContext) -> str:
        from stackctl.images.select import stack_images
        from stackctl.runtime.swarm import container_running
        from stackctl.swarm import access
        from stackctl.swarm.health import wait_healthy
        from stackctl.swarm.stackfile import TYK_SERVICES
        from stackctl.swarm.wait import wait_running

        settings = ctx.model.settings
        run = ctx.results.swarm
        wanted = {"upstream": 1, "gateway": settings.gateway.replicas, "pump": 1}
        if not ctx.results.unchanged:
            fresh = ({n: run.before for n in wanted if n in run.changed} if run else {})
            wait_running(ctx.stack, wanted, START_TIMEOUT_S, "tyk services", fresh)
            probed = {n: c for n, c in wanted.items() if n != "upstream"}
            wait_healthy(ctx.stack, stack_images(settings)["redis"], probed, START_TIMEOUT_S,
                         {n: f for n, f in fresh.items() if n in probed})
        if settings.swarm.publish_gateway:
            access.stop(ctx.model)
            how = (f"gateway published on port {settings.gateway.port} of EVERY interface "
                   "of each node running a gateway task (swarm.publish_gateway)")
        else:
            if not container_running(access.container_name(ctx.model)):
                access.start(ctx.model, ctx.stack, stack_images(settings)["upstream"])
            how = f"gateway reached through the local proxy on {ctx.gateway_url}"
        return (f"{', '.join(TYK_SERVICES)} running ({settings.gateway.replicas} gateway "
                f"task(s), healthy); {how}")
