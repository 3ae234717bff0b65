"""Swarm preflight: everything that can fail before anything is deployed (engine =
swarm): support matrix, files form, a swarm manager, images on this node, node labels
when placement asks for them, the local port of the access proxy."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.errors import ConfigError, ToolError


class SwarmPreflight:
    """One line and exit 2 for bad input; nothing is deployed before this passes. The
    CLI runs it before the pipeline (a ConfigError there exits 2, not as a failed step);
    in the pipeline it reports that verdict."""

    name = "preflight"

    def run(self, ctx: StackContext) -> str:
        if ctx.results.swarm is not None and ctx.results.swarm.preflight:
            return ctx.results.swarm.preflight
        from stackctl.doctor import check_ports
        from stackctl.images.select import stack_images
        from stackctl.runtime import load_wrapper
        from stackctl.runtime.images import images_present, pull_image
        from stackctl.runtime.swarm import container_running, nodes, require_manager
        from stackctl.steps.image_checks import ensure_images, tyk_users
        from stackctl.swarm import access
        from stackctl.swarm.placement import decide
        from stackctl.swarm.run import SwarmRun
        from stackctl.swarm.stackfile import check_swarm_settings
        from stackctl.tyk.support import check_support

        settings = ctx.model.settings
        check_support(settings)
        check_swarm_settings(settings)
        load_wrapper()
        require_manager()
        swarm_nodes = nodes()
        placement = decide(settings.swarm.placement, swarm_nodes, settings.redis.replicas)
        refs = sorted(set(stack_images(settings).values()))
        try:
            present = images_present(refs)
        except ToolError as exc:
            raise ToolError(f"docker engine: {exc}") from None
        ensure_images(settings, present, pull_image)
        tyk_users(settings, stack_images(settings))
        if len(swarm_nodes) > 1:  # this node's images are checked above
            lacking = ctx.stack.missing_images(refs)
            if lacking:
                node, what = sorted(lacking.items())[0]
                raise ConfigError("images", f"missing on node {node}: {', '.join(what)}"
                                  + (f" (and {len(lacking) - 1} more node(s))"
                                     if len(lacking) > 1 else ""),
                                  f"`stackctl images save` here, copy the tar, `stackctl "
                                  f"images load` on {node}")
        ours = ({settings.gateway.port} if container_running(access.container_name(ctx.model))
                else set())
        for check in check_ports(settings, ours):
            if check.status == "fail" and check.name == "port-gateway":
                raise ConfigError("gateway.port", check.detail, check.fix)
        where = (f"{placement.groups} label group(s)" if placement.groups
                 else "placement by Swarm's spread")
        note = f"; warning: {placement.warning}" if placement.warning else ""
        verdict = (f"swarm manager, {len(swarm_nodes)} node(s), {len(refs)} images here, "
                   f"{where}{note}")
        ctx.results.swarm = SwarmRun(placement.groups, placement.warning, preflight=verdict)
        return verdict
