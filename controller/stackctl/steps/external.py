"""External Redis: reach the existing cluster through the user's network, read its
topology and record it, so the render step gives every Tyk component every node (or only
the configuration endpoint). Bad input (no such network, no answer, not a cluster) is one
line, exit 2, before any container of the stack starts."""

from __future__ import annotations

import dataclasses

from stackctl.context import StackContext


class ExternalRedis:
    """Discovery (`cluster.external`) from a one-shot probe container."""

    name = "external-redis"

    def run(self, ctx: StackContext) -> str:
        from stackctl.cluster.external import discover, discovery_problem, oneshot_runner
        from stackctl.errors import ConfigError
        from stackctl.images.select import stack_images
        from stackctl.model import TOPOLOGY_FILE
        from stackctl.runtime.engine import network_exists
        from stackctl.state import atomic_write_json

        settings = ctx.model.settings
        ext = settings.redis.external
        if not network_exists(ext.network):
            raise ConfigError(f"redis.external.network = {ext.network}",
                              "no such Docker network",
                              "name one that reaches the cluster (`docker network ls`)")
        run = oneshot_runner(stack_images(settings)["redis"], ext.network)
        found = discover(ext, ctx.secrets.redis_password.get_secret_value(), run)
        problem = discovery_problem(found)
        if problem is not None:
            raise problem
        assert found.topology is not None
        topology = found.topology
        atomic_write_json(ctx.state_dir / TOPOLOGY_FILE, topology.as_dict())
        ctx.model = dataclasses.replace(ctx.model, topology=tuple(topology.addrs))
        given = ("the configuration endpoint only" if ext.use_configuration_endpoint
                 else f"{len(topology.addrs)} addrs")
        return (f"{topology.source} ({topology.command}, Redis {topology.version}): "
                f"{len(topology.primaries)} primaries + {len(topology.replicas)} replicas "
                f"[{' '.join(topology.addrs)}]; Tyk gets {given}")
