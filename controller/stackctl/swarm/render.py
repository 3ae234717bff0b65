"""Render a swarm stack: Redis files, tyk.conf and pump.conf, the gateway's API definitions,
and the stack file naming them all as content-named Swarm secrets and configs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stackctl.cluster.redis_conf import SCRIPTS, render_redis
from stackctl.context.recorded import APPLIED_FILE
from stackctl.context.render import GATEWAY_DIR, inputs_digest
from stackctl.context.results import Rendered
from stackctl.context.stack import StackContext
from stackctl.errors import ToolError
from stackctl.meter.delivered import ANALYTICS_DIR
from stackctl.names import INIT_SERVICE
from stackctl.render.tyk import gateway_assets, upstream_conf
from stackctl.runtime.swarm import Stack
from stackctl.state import atomic_write, read_json
from stackctl.swarm.stackfile import (
    JOB_FILE,
    STACK_FILE,
    SwarmFiles,
    stack_file,
    wanted_tasks,
    write_stack_file,
)
from stackctl.swarm.wait import progress
from stackctl.tyk.bundle import RENDERED_DIR, render_files, write_files


def swarm_files(ctx: StackContext, extra_apps: Mapping[str, dict[str, Any]]) -> SwarmFiles:
    """Write every file the stack file refers to; return their paths."""
    redis = render_redis(ctx.model, ctx.secrets)
    paths = {p.name: p for p in write_files(render_files(ctx.model, ctx.secrets, "json"),
                                            ctx.state_dir / RENDERED_DIR)}
    apps_dir, policies_dir = gateway_assets(ctx.state_dir / GATEWAY_DIR)
    for name, definition in extra_apps.items():
        atomic_write(apps_dir / name, json.dumps(definition, indent=2, sort_keys=True) + "\n")
    (ctx.state_dir / ANALYTICS_DIR).mkdir(parents=True, exist_ok=True)
    apps = {p.name: p for p in sorted(apps_dir.glob("*.json"))}
    policies = {p.name: p for p in sorted(policies_dir.iterdir()) if p.is_file()}
    return SwarmFiles(redis, paths["tyk.conf"], paths["pump.conf"], apps, policies, SCRIPTS,
                      upstream_conf(ctx.state_dir))


def render_swarm(ctx: StackContext, extra_apps: Mapping[str, dict[str, Any]],
                 groups: int | None) -> tuple[Rendered, SwarmFiles]:
    """Write the stack file, the init job and their inputs; sets `ctx.results.rendered`
    (its digest: the two files', which name every secret and config by content)."""
    files = swarm_files(ctx, extra_apps)
    previous = _read_stack(ctx.state_dir / STACK_FILE)
    previous_job = _read_stack(ctx.state_dir / JOB_FILE)
    path = write_stack_file(ctx.model, files, groups)
    job = _read_stack(ctx.state_dir / JOB_FILE)
    if ctx.results.swarm is not None:
        changed = changed_services(previous, json.loads(path.read_text()))
        if job != previous_job:
            changed.append(INIT_SERVICE)
        ctx.results.swarm.changed = tuple(changed)
    digest = inputs_digest([path, ctx.state_dir / JOB_FILE])
    applied = read_json(ctx.state_dir / APPLIED_FILE)
    same = isinstance(applied, dict) and applied.get("digest") == digest
    result = Rendered(digest, same and _all_running(ctx), len(files.apps) + 3, path.parent)
    ctx.results.rendered = result
    return result, files


def _read_stack(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def changed_services(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Services of `after` new or changed beyond the replica count (content-named secrets and
    configs change their users): Swarm replaces their tasks; a replica count only scales."""
    old = before.get("services", {}) if before else {}
    return sorted(n for n, s in after["services"].items()
                  if n not in old or _as_deployed(before, old[n]) != _as_deployed(after, s))


def _as_deployed(stack: Mapping[str, Any], service: Mapping[str, Any]) -> dict[str, Any]:
    """A service as Swarm sees it: secrets and configs by (content) name, no replica count."""
    def named(kind: str) -> list[dict[str, Any]]:
        table = stack.get(kind, {})
        return [{**ref, "source": table.get(ref["source"], {}).get("name", ref["source"])}
                for ref in service.get(kind, [])]

    deploy = {k: v for k, v in service.get("deploy", {}).items() if k != "replicas"}
    return {**service, "deploy": deploy, "secrets": named("secrets"),
            "configs": named("configs")}


def _all_running(ctx: StackContext) -> bool:
    """Every long-running service of the stack file has all its tasks running."""
    wanted = wanted_tasks(json.loads((ctx.state_dir / STACK_FILE).read_text()))
    try:
        now = progress(Stack(ctx.model.settings.project).tasks(), wanted)
    except ToolError:
        return False
    return all(now.running[n] >= want for n, want in wanted.items())


__all__ = ["render_swarm", "stack_file", "swarm_files"]
