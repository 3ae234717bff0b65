"""Render: Redis configs, Tyk configs and the compose file into the state directory."""

from __future__ import annotations

import shutil

from stackctl.steps.context import StepContext

GATEWAY_DIR = "gateway"
ANALYTICS_DIR = "analytics"


class Render:
    """Write every rendered file atomically; secrets-bearing files 0600."""

    name = "render"

    def run(self, ctx: StepContext) -> str:
        from stackctl.cluster.redis_conf import render_redis
        from stackctl.stack_compose import STACK_ASSETS, TykFiles, write_stack_compose
        from stackctl.tyk.bundle import RENDERED_DIR, render_files, write_files

        redis = render_redis(ctx.model, ctx.secrets)
        rendered = ctx.state_dir / RENDERED_DIR
        paths = {p.name: p for p in write_files(render_files(ctx.model, ctx.secrets, "json"),
                                                rendered)}
        apps = ctx.state_dir / GATEWAY_DIR / "apps"
        apps.mkdir(parents=True, exist_ok=True)
        for definition in (STACK_ASSETS / "tyk" / "apps").glob("*.json"):
            target = apps / definition.name
            if not target.exists():
                shutil.copyfile(definition, target)
        analytics = ctx.state_dir / ANALYTICS_DIR
        analytics.mkdir(parents=True, exist_ok=True)
        tyk = TykFiles(
            gateway_conf=paths["tyk.conf"], pump_conf=paths["pump.conf"], apps=apps,
            policies=STACK_ASSETS / "tyk" / "policies", analytics=analytics,
        )
        path = write_stack_compose(ctx.model, redis, tyk)
        return f"{len(paths) + len(redis.node_confs) + 1} files in {path.parent}"
