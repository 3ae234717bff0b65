"""Render: Redis configs, Tyk configs and the compose file into the state directory."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from stackctl.errors import ToolError
from stackctl.state import atomic_write_json, read_json
from stackctl.steps.context import StepContext

GATEWAY_DIR = "gateway"
ANALYTICS_DIR = "analytics"
APPLIED_FILE = "applied.json"


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
        env_paths: dict[str, Path] = {}
        if ctx.model.settings.config_form == "env":
            env_paths = {p.name: p for p in write_files(
                render_files(ctx.model, ctx.secrets, "env"), rendered)}
        tyk = TykFiles(
            gateway_conf=paths["tyk.conf"], pump_conf=paths["pump.conf"], apps=apps,
            policies=STACK_ASSETS / "tyk" / "policies", analytics=analytics,
            gateway_env=env_paths.get("gateway.env"), pump_env=env_paths.get("pump.env"),
        )
        paths.update(env_paths)
        path = write_stack_compose(ctx.model, redis, tyk)
        digest = inputs_digest([path, *paths.values(), *redis.node_confs.values(), redis.acl,
                                redis.auth])
        ctx.results["digest"] = digest
        ctx.results["unchanged"] = _applied(ctx) == digest and _all_up(ctx)
        note = "; unchanged since the last up" if ctx.results["unchanged"] else ""
        return f"{len(paths) + len(redis.node_confs) + 1} files in {path.parent}{note}"


def inputs_digest(paths: list[Path]) -> str:
    """sha256 over the rendered files' names and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _applied(ctx: StepContext) -> str | None:
    data = read_json(ctx.state_dir / APPLIED_FILE)
    return data.get("digest") if isinstance(data, dict) else None


def _all_up(ctx: StepContext) -> bool:
    """Every long-running service runs and, where it has a healthcheck, is healthy (its
    own test decides while Docker still says `starting`)."""
    try:
        states = ctx.services(probe=True)
    except ToolError:
        return False
    from stackctl.stack_compose import TYK_SERVICES

    running = {s.service for s in states if s.state == "running"
               and s.health in ("", "healthy")}
    wanted = {n.name for n in ctx.model.nodes} | set(TYK_SERVICES)
    return wanted <= running


def record_applied(ctx: StepContext) -> None:
    """Remember what the last successful up applied."""
    digest = ctx.results.get("digest")
    if digest:
        atomic_write_json(ctx.state_dir / APPLIED_FILE, {"digest": digest})
