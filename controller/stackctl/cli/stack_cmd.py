"""`stackctl up`, `down`, `status`, `logs`: the stack's life cycle."""

from __future__ import annotations

from typing import Any

import typer

from stackctl.cli._common import (
    JSON_OPTION,
    globals_of,
    print_json,
    print_json_line,
    settings_for,
)

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
        "nodes; sweep and drill not there yet)"),
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

    Steps: preflight, certificates, render, redis-cluster, tyk, health, fallback (only
    when tyk or health failed: REDIGOCLUSTER_SHARDCOUNT 128, then 256, then a diagnosis),
    bootstrap (an API and a key through the gateway API; in profile pro: organisation,
    admin user, API, policy and key through the Dashboard's Admin API, after the
    pro-services step started PostgreSQL and the Dashboard), record, smoke.
    A second `up` with the same settings recreates nothing.
    """
    from stackctl.context import StackContext
    from stackctl.errors import StepError
    from stackctl.model import build_model
    from stackctl.pipeline import JsonProgress, PlainProgress, Progress, StepResult, run_steps
    from stackctl.steps.plan import up_steps

    settings = settings_for(ctx, **{"redis.tls": tls, "redis.shards": shards,
                                    "redis.replicas": replicas, "profile": profile,
                                    "redis.endpoints": endpoints,
                                    "images.offline": offline, "images.pull": pull,
                                    "engine": engine})
    step_ctx = StackContext(build_model(settings))
    if settings.engine == "swarm":
        from stackctl.cli import swarm_cmd

        swarm_cmd.up(step_ctx, smoke, as_json, globals_of(ctx).verbose)
        return
    progress: Progress = JsonProgress() if as_json else PlainProgress(globals_of(ctx).verbose)
    _drop_stale_overrides(step_ctx.state_dir)
    results: list[StepResult] = []
    try:
        run_steps(up_steps(smoke, external=settings.external), step_ctx, progress, results)
    except StepError as exc:
        exc.logs = _failure_logs(step_ctx)
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
    from stackctl.cli.stack_view import console, up_view

    console().print(up_view(settings.project, sum(r.seconds for r in results), summary))


def _drop_stale_overrides(state_dir: Any) -> None:
    """`up` applies the settings: a retuning tool's overrides file left by an interrupted
    run (e.g. a killed `stackctl sweep`) is removed, and said so."""
    from stackctl.stack_compose import ENV_OVERRIDES_FILE

    stale = state_dir / ENV_OVERRIDES_FILE
    if stale.exists():
        stale.unlink()
        typer.echo(f"stackctl: removed {stale} left by an interrupted sweep; "
                   "up applies the settings", err=True)


def _summary(ctx: Any) -> dict[str, Any]:
    from stackctl.secrets import secrets_path
    from stackctl.steps.bootstrap import BOOTSTRAP_FILE

    credentials = [str(secrets_path(ctx.state_dir)), str(ctx.state_dir / BOOTSTRAP_FILE)]
    pro: dict[str, Any] = {}
    if ctx.model.settings.profile == "pro":
        from stackctl.dashboard.credentials import credentials_path
        from stackctl.steps.bootstrap import dashboard_url

        credentials.append(str(credentials_path(ctx.state_dir)))
        pro = {"dashboard_url": dashboard_url(ctx)}
    return {
        "gateway_url": ctx.gateway_url,
        **pro,
        "credentials": credentials,
        "gateway": ctx.results.gateway.as_dict() if ctx.results.gateway else {},
        "next": ["stackctl status", "stackctl logs gateway", "stackctl down"],
    }


def _failure_logs(ctx: Any) -> str:
    """The last log lines of services that are not running or not healthy."""
    from stackctl.errors import ToolError

    if not ctx.compose_file.exists():
        return ""
    from stackctl.runtime.health import probed, read_healthchecks

    try:
        states = probed(ctx.compose, ctx.compose.ps(), read_healthchecks(ctx.compose_file))
        bad = [s.service for s in states
               if (s.state != "running" and s.exit_code != 0)
               or s.health in ("unhealthy", "starting")]
        if not bad:
            return ""
        text: str = ctx.compose.logs(bad[:3], tail=LOG_LINES_ON_FAILURE)
        return f"last log lines of {', '.join(bad[:3])}:\n{text.rstrip()}"
    except ToolError:
        return ""


def _context(ctx: typer.Context) -> Any:
    """The context of the stack in the state directory, with the settings its `up`
    recorded (a conflicting explicit setting is an error naming it)."""
    from stackctl.context import StackContext
    from stackctl.context.recorded import for_running_stack
    from stackctl.errors import ConfigError
    from stackctl.model import build_model

    step_ctx = StackContext(build_model(for_running_stack(settings_for(ctx))))
    if step_ctx.model.settings.engine == "swarm":
        from stackctl.swarm.stackfile import STACK_FILE

        if not (step_ctx.state_dir / STACK_FILE).exists():
            raise ConfigError(str(step_ctx.state_dir / STACK_FILE), "no swarm stack rendered "
                              "here", "run `stackctl up --engine swarm` first")
        return step_ctx
    if not step_ctx.compose_file.exists():
        raise ConfigError(str(step_ctx.compose_file), "no stack rendered here",
                          "run `stackctl up` first (or pass the same --config)")
    return step_ctx


def down(
    ctx: typer.Context,
    volumes: bool = typer.Option(False, "--volumes", help="Also remove the Redis volumes."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Stop and remove the stack's containers and networks (volumes kept unless --volumes).
    External mode: the cluster is never stopped or reconfigured; the bootstrap key and the
    records Tyk wrote during this stack's life (not those there before) are deleted."""
    step_ctx = _context(ctx)
    if step_ctx.model.settings.engine == "swarm":
        from stackctl.cli import swarm_cmd

        swarm_cmd.down(step_ctx, volumes, as_json)
        return
    cluster = step_ctx.cluster
    if cluster.unsupported("own-data"):
        _drop_bootstrap_key(step_ctx)
    step_ctx.compose.down(volumes=volumes)
    note = cluster.leave()
    if as_json:
        print_json({"project": step_ctx.model.settings.project, "down": True,
                    "volumes_removed": volumes, **({"external": note} if note else {})})
    else:
        typer.echo(f"stack {step_ctx.model.settings.project} is down"
                   + (" (volumes removed)" if volumes else " (volumes kept)")
                   + (f"; {note}" if note else ""))


def _drop_bootstrap_key(ctx: Any) -> None:
    """External mode: the bootstrap key lives in a cluster stackctl does not own: delete it
    through the gateway while it still runs (best effort; `up` makes a new one)."""
    from stackctl.clients.gateway import GatewayClient
    from stackctl.errors import StackctlError
    from stackctl.state import read_json
    from stackctl.steps.bootstrap import BOOTSTRAP_FILE

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


def status(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Services, cluster and gateway state. Exits 1 when anything is unhealthy."""
    from stackctl.clients.gateway import gateway_state

    step_ctx = _context(ctx)
    if step_ctx.model.settings.engine == "swarm":
        from stackctl.cli import swarm_cmd

        swarm_cmd.status(step_ctx, as_json)
        return
    services = _service_rows(step_ctx)
    cluster = step_ctx.cluster.status()
    gateway = gateway_state(step_ctx.gateway_url, step_ctx.secrets.gateway_secret)
    data = {"services": services, "cluster": cluster.summary,
            "nodes": [n.__dict__ for n in cluster.nodes], "problems": cluster.problems,
            "gateway": gateway}
    healthy = (cluster.ready and gateway["redis"] == "pass"
               and all(s["state"] == "running" or s["name"] == "cluster-init"
                       for s in services))
    if as_json:
        print_json({**data, "healthy": healthy})
    else:
        from stackctl.cli.stack_view import console, status_view

        console().print(status_view({**data, "healthy": healthy}))
    if not healthy:
        raise typer.Exit(1)


def _service_rows(ctx: Any) -> list[dict[str, str]]:
    """Each container's state and health; where Docker still says `starting` (its checks
    run once a minute), `health` is what the service's own test says now."""
    from stackctl.runtime.health import probed, read_healthchecks

    raw = ctx.compose.ps()
    now = probed(ctx.compose, raw, read_healthchecks(ctx.compose_file))
    return [{"name": s.service, "state": s.state, "health": s.health,
             "docker_health": d.health} for s, d in zip(now, raw, strict=True)]


def logs(
    ctx: typer.Context,
    service: list[str] = typer.Argument(None, help="Services (all when none)."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep following."),
    tail: int | None = typer.Option(None, "--tail", help="Only the last N lines."),
) -> None:
    """Show the stack's logs."""
    step_ctx = _context(ctx)
    if step_ctx.model.settings.engine == "swarm":
        from stackctl.cli import swarm_cmd

        swarm_cmd.logs(step_ctx, service or [], follow, tail)
        return
    if follow:
        step_ctx.compose.follow_logs(service or [], tail)
        return
    typer.echo(step_ctx.compose.logs(service or [], tail=tail), nl=False)
