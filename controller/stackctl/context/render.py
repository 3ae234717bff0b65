"""Render the whole stack into the state directory (secrets 0600, every write atomic), and
remember what `up` applied, so the next render can tell the running stack has it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from stackctl.cluster.redis_conf import render_redis
from stackctl.context.recorded import APPLIED_FILE, SETTINGS_KEY, settings_record
from stackctl.context.results import Rendered
from stackctl.context.stack import StackContext
from stackctl.errors import ToolError
from stackctl.images.select import stack_images
from stackctl.meter.delivered import ANALYTICS_DIR
from stackctl.names import TYK_SERVICES
from stackctl.render.pro import ProFiles, pro_names
from stackctl.render.stack import write_stack_compose
from stackctl.render.tyk import TykFiles, gateway_assets, open_to_group, run_as, upstream_conf
from stackctl.runtime.image_user import read_run_as
from stackctl.secrets import SECRET_MODE
from stackctl.state import atomic_write, atomic_write_json, read_json
from stackctl.tyk.bundle import RENDERED_DIR, render_files, secrets_file, write_files
from stackctl.tyk.pro import POSTGRES_PASSWORD_FILE

GATEWAY_DIR = "gateway"


def render_stack(ctx: StackContext) -> Rendered:
    """Write every file the stack runs from; sets and returns `ctx.results.rendered`."""
    redis = render_redis(ctx.model, ctx.secrets)
    rendered = ctx.state_dir / RENDERED_DIR
    paths = {p.name: p for p in write_files(render_files(ctx.model, ctx.secrets, "json"),
                                            rendered)}
    apps, policies = gateway_assets(ctx.state_dir / GATEWAY_DIR)
    analytics = ctx.state_dir / ANALYTICS_DIR
    analytics.mkdir(parents=True, exist_ok=True)
    env_paths: dict[str, Path] = {}
    if ctx.model.settings.config_form == "env":
        env_paths = {p.name: p for p in write_files(
            render_files(ctx.model, ctx.secrets, "env"), rendered)}
    conf = {"gateway": paths["tyk.conf"], "pump": paths["pump.conf"]}
    if env_paths:  # env form: the secrets-only files take the config files' place
        conf = {c: env_paths[secrets_file(c)] for c in conf}
    pro = _pro_files(ctx, rendered, paths, env_paths)
    # What the Tyk containers mount, readable by their group (`render.tyk.run_as`).
    open_to_group(*conf.values(), *([pro.dashboard_conf] if pro else []), policies, apps,
                  writable=(apps, analytics))
    tyk = TykFiles(
        gateway_conf=conf["gateway"], pump_conf=conf["pump"], apps=apps,
        policies=policies, analytics=analytics,
        gateway_env=env_paths.get("gateway.env"), pump_env=env_paths.get("pump.env"),
        pro=pro,
        users={s: run_as(uid) for s, (uid, _) in
               read_run_as(ctx.state_dir, stack_images(ctx.model.settings)).items()},
        upstream_conf=upstream_conf(ctx.state_dir),
    )
    paths.update(env_paths)
    path = write_stack_compose(ctx.model, redis, tyk)
    digest = inputs_digest([path, *paths.values(), *redis.node_confs.values(), redis.acl,
                            redis.auth])
    result = Rendered(digest, _applied(ctx) == digest and _all_up(ctx),
                      len(paths) + len(redis.node_confs) + 1, path.parent)
    ctx.results.rendered = result
    return result


def _pro_files(ctx: StackContext, rendered: Path, paths: dict[str, Path],
               env_paths: dict[str, Path]) -> ProFiles | None:
    """Profile pro: the database's password file (0600, atomic) and the dashboard's files."""
    if ctx.model.settings.profile != "pro":
        return None

    password = rendered / POSTGRES_PASSWORD_FILE
    atomic_write(password, ctx.secrets.required("postgres_password").get_secret_value(),
                 SECRET_MODE)
    paths[POSTGRES_PASSWORD_FILE] = password
    if "dashboard.env" in env_paths:
        return ProFiles(env_paths[secrets_file("dashboard")], password,
                        env_paths["dashboard.env"])
    return ProFiles(paths["tyk_analytics.conf"], password)


def inputs_digest(paths: list[Path]) -> str:
    """sha256 over the rendered files' names and contents."""
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _applied(ctx: StackContext) -> str | None:
    data = read_json(ctx.state_dir / APPLIED_FILE)
    return data.get("digest") if isinstance(data, dict) else None


def _all_up(ctx: StackContext) -> bool:
    """Every long-running service runs and is healthy where it has a check (run now if needed)."""
    try:
        states = ctx.services(probe=True)
    except ToolError:
        return False

    running = {s.service for s in states if s.state == "running"
               and s.health in ("", "healthy")}
    wanted = {n.name for n in ctx.model.nodes} | set(TYK_SERVICES) | set(pro_names(ctx.model))
    return wanted <= running


def record_applied(ctx: StackContext) -> None:
    """Remember what the last successful up applied (digest, settings: `context.recorded`)."""
    if ctx.results.rendered is not None:
        atomic_write_json(ctx.state_dir / APPLIED_FILE,
                          {"digest": ctx.results.rendered.digest,
                           SETTINGS_KEY: settings_record(ctx.model.settings)})
