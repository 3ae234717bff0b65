"""`stackctl up`, `down`, `status`, `logs`: the stack's life cycle, on either engine (the
context picks it once, from `engine` in the settings or the stack's recorded ones)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from stackctl.cli._common import (
    JSON_OPTION,
    globals_of,
    print_json,
    print_json_line,
    running_context,
    settings_for,
)
from stackctl.cli.plan import up_steps
from stackctl.cli.stack_view import console, status_view, up_view
from stackctl.clients.gateway import GatewayClient, gateway_state
from stackctl.context import StackContext
from stackctl.dashboard.credentials import credentials_path
from stackctl.engine.factory import stack_context
from stackctl.errors import StackctlError, StepError
from stackctl.model import build_model
from stackctl.pipeline import JsonProgress, PlainProgress, Progress, StepResult, run_steps
from stackctl.render.tyk import ENV_OVERRIDES_FILE
from stackctl.secrets import secrets_path
from stackctl.state import read_json
from stackctl.steps.bootstrap import BOOTSTRAP_FILE, dashboard_url

LOG_LINES_ON_FAILURE = 15


def up(
    ctx: typer.Context,
    tls: str | None = typer.Option(None, "--tls", help="off | tls | insecure | mtls"),
    shards: int | None = typer.Option(None, "--shards", help="Redis primaries (>= 3)."),
    replicas: int | None = typer.Option(None, "--replicas", help="Replicas per primary (0-5)."),
    profile: str | None = typer.Option(None, "--profile", help="oss | pro"),
    endpoints: str | None = typer.Option(
        None, "--endpoints", help="ip | hostname: what Redis nodes announce to clients."),
    engine: str | None = typer.Option(
        None, "--engine", help="compose (one machine) | swarm (Docker Swarm over its "
        "nodes)"),
    offline: bool | None = typer.Option(
        None, "--offline/--official", help="Use locally built images (`images build`)."),
    pull: bool | None = typer.Option(
        None, "--pull/--no-pull", help="Pull the images the stack lacks (default), or "
        "refuse, naming them."),
    smoke: bool = typer.Option(True, "--smoke/--no-smoke",
                               help="End with a short load smoke test through the gateway."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stand up the whole stack, from nothing to healthy and smoke-tested.

    Steps: preflight, certificates, render, deploy (swarm: the whole stack at once),
    redis-cluster, tyk, health, fallback (only when tyk or health failed, compose only:
    REDIGOCLUSTER_SHARDCOUNT 128, then 256, then a diagnosis), bootstrap (an API and a
    key through the gateway API; on swarm the API is baked into every gateway task; in
    profile pro: organisation, admin user, API, policy and key through the Dashboard's
    Admin API, after the pro-services step started PostgreSQL and the Dashboard),
    record, smoke. A second `up` with the same settings recreates nothing.
    """
    settings = settings_for(ctx, **{"redis.tls": tls, "redis.shards": shards,
                                    "redis.replicas": replicas, "profile": profile,
                                    "redis.endpoints": endpoints,
                                    "images.offline": offline, "images.pull": pull,
                                    "engine": engine})
    step_ctx = stack_context(build_model(settings))
    step_ctx.engine.check_settings()  # bad input: one line, exit 2, nothing started
    progress: Progress = JsonProgress() if as_json else PlainProgress(globals_of(ctx).verbose)
    _drop_stale_overrides(step_ctx.state_dir)
    results: list[StepResult] = []
    try:
        run_steps(up_steps(smoke, external=settings.external), step_ctx, progress, results)
    except StepError as exc:
        exc.logs = step_ctx.engine.failure_logs(LOG_LINES_ON_FAILURE)
        if as_json:
            print_json_line({"event": "result", "ok": False, "step": exc.step,
                             "failed_steps": [r.name for r in results if r.status == "failed"],
                             "error": str(exc), "logs": exc.logs})
        elif exc.logs:
            typer.echo(exc.logs, err=True)
        raise
    summary = _summary(step_ctx)
    recovered = [r.name for r in results if r.status == "failed"]
    if as_json:
        print_json_line({"event": "result", "ok": True, "recovered": recovered,
                         "steps": [r.__dict__ for r in results], **summary})
        return
    console().print(up_view(settings.project, sum(r.seconds for r in results), summary))


def _drop_stale_overrides(state_dir: Path) -> None:
    """`up` applies the settings: a retuning tool's overrides file left by an interrupted
    run (e.g. a killed `stackctl sweep`) is removed, and said so."""
    stale = state_dir / ENV_OVERRIDES_FILE
    if stale.exists():
        stale.unlink()
        typer.echo(f"stackctl: removed {stale} left by an interrupted sweep; "
                   "up applies the settings", err=True)


def _summary(ctx: StackContext) -> dict[str, Any]:
    credentials = [str(secrets_path(ctx.state_dir)), str(ctx.state_dir / BOOTSTRAP_FILE)]
    pro: dict[str, Any] = {}
    if ctx.model.settings.profile == "pro":
        credentials.append(str(credentials_path(ctx.state_dir)))
        pro = {"dashboard_url": dashboard_url(ctx)}
    return {
        "engine": ctx.engine.name,
        "gateway_url": ctx.gateway_url,
        **pro,
        "credentials": credentials,
        "gateway": ctx.results.gateway.as_dict() if ctx.results.gateway else {},
        "next": ["stackctl status", "stackctl logs gateway", "stackctl down"],
    }


def down(
    ctx: typer.Context,
    volumes: bool = typer.Option(False, "--volumes", help="Also remove the Redis volumes "
                                 "(swarm: those on this node)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop and remove the stack's containers (swarm: its services, the access proxy) and
    networks (volumes kept unless --volumes). External mode: the cluster is never stopped
    or reconfigured; the bootstrap key and the records Tyk wrote during this stack's life
    (not those there before) are deleted. Exits 1 when something is still there.

    --json: {"project", "engine", "down": true when nothing is left, "volumes_removed",
    "left": {kind: [names]}, "external": what was done (external mode only)}."""
    step_ctx = running_context(ctx)
    cluster = step_ctx.cluster
    if cluster.unsupported("own-data"):
        _drop_bootstrap_key(step_ctx)
    left = step_ctx.engine.remove(volumes=volumes)
    note = cluster.leave()
    project = step_ctx.model.settings.project
    if as_json:
        print_json({"project": project, "engine": step_ctx.engine.name, "down": not left,
                    "volumes_removed": volumes, "left": left,
                    **({"external": note} if note else {})})
    else:
        typer.echo(f"stack {project} is down on {step_ctx.engine.name}"
                   + (" (volumes removed)" if volumes else " (volumes kept)")
                   + (f"; {note}" if note else ""))
        if left:
            typer.echo("still there: " + "; ".join(f"{k}: {', '.join(v)}"
                                                   for k, v in left.items()), err=True)
    if left:
        raise typer.Exit(1)


def _drop_bootstrap_key(ctx: StackContext) -> None:
    """External mode: the bootstrap key lives in a cluster stackctl does not own: delete it
    through the gateway while it still runs (best effort; `up` makes a new one)."""
    path = ctx.state_dir / BOOTSTRAP_FILE
    saved = read_json(path)
    if not isinstance(saved, dict) or not saved.get("key"):
        return
    try:
        with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
            gw.delete_key(str(saved["key"]))
    except StackctlError:
        return
    path.unlink(missing_ok=True)


def status_document(step_ctx: StackContext) -> dict[str, Any]:
    """The `status --json` document, one schema on both engines (see `status`)."""
    services = [r.as_dict() for r in step_ctx.engine.services(probe=True)]
    cluster = step_ctx.cluster.status()
    gateway = gateway_state(step_ctx.gateway_url, step_ctx.secrets.gateway_secret)
    healthy = (bool(services) and cluster.ready and gateway["redis"] == "pass"
               and all(s["state"] in ("running", "complete") and s["health"] in ("healthy", "")
                       for s in services))
    return {"engine": step_ctx.engine.name, "services": services,
            "cluster": {**cluster.summary, "ready": cluster.ready},
            "nodes": [n.__dict__ for n in cluster.nodes],
            "problems": cluster.problems, "gateway": gateway, "healthy": healthy}


def status(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Services, cluster and gateway state, the same on both engines (a service's
    containers or tasks; health is the service's own check run now where Docker has no
    verdict yet). Exits 1 when anything is unhealthy.

    --json, on both engines: {"engine", "services": [{"service", "state", "health",
    "running", "wanted", "detail"}], "cluster": {"ready", "state", "slots_covered",
    "primaries", "replicas", ...}, "nodes": [{"name", "addr", "role", "slots", "links",
    "master_link", "memory", "error", ...}], "problems", "gateway": {"version",
    "redis"}, "healthy"}."""
    data = status_document(running_context(ctx))
    if as_json:
        print_json(data)
    else:
        console().print(status_view(data))
    if not data["healthy"]:
        raise typer.Exit(1)




def logs(
    ctx: typer.Context,
    service: list[str] = typer.Argument(None, help="Services (all when none)."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep following (swarm: one "
                                "service)."),
    tail: int | None = typer.Option(None, "--tail", help="Only the last N lines."),
) -> None:
    """Show the stack's logs (swarm: every task's, each line prefixed with its task)."""
    engine = running_context(ctx).engine
    if follow:
        engine.follow_logs(service or [], tail)
        return
    sys.stdout.write(engine.logs(service or [], tail=tail))
