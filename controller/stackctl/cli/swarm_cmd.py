"""`up`, `down`, `status`, `logs` on engine = swarm (called by stack_cmd when the
settings, or the stack's recorded settings, say `engine = swarm`)."""

from __future__ import annotations

from typing import Any

import typer

from stackctl.cli._common import print_json, print_json_line

PUBLISH_WARNING = ("stackctl: swarm.publish_gateway: the gateway listens on port {port} of "
                   "EVERY interface of every swarm node running a gateway task (Swarm "
                   "cannot bind a published port to one address)")


def up(step_ctx: Any, smoke: bool, as_json: bool, verbose: bool) -> None:
    """Run the swarm pipeline and print its result."""
    from stackctl.errors import StepError
    from stackctl.pipeline import JsonProgress, PlainProgress, Progress, StepResult, run_steps
    from stackctl.steps.swarm_plan import swarm_up_steps
    from stackctl.steps.swarm_preflight import SwarmPreflight

    settings = step_ctx.model.settings
    SwarmPreflight().run(step_ctx)  # bad input: one line, exit 2, nothing deployed
    if settings.swarm.publish_gateway:
        typer.echo(PUBLISH_WARNING.format(port=settings.gateway.port), err=True)
    progress: Progress = JsonProgress() if as_json else PlainProgress(verbose)
    results: list[StepResult] = []
    try:
        run_steps(swarm_up_steps(smoke), step_ctx, progress, results)
    except StepError as exc:
        exc.logs = _failure_logs(step_ctx)
        if as_json:
            print_json_line({"event": "result", "ok": False, "step": exc.step,
                             "error": str(exc), "logs": exc.logs})
        elif exc.logs:
            typer.echo(exc.logs, err=True)
        raise
    from stackctl.cli.stack_cmd import _summary

    summary = {**_summary(step_ctx), "engine": "swarm",
               "next": ["stackctl status", "stackctl logs gateway", "stackctl down --volumes"]}
    if as_json:
        print_json_line({"event": "result", "ok": True, "recovered": [],
                         "steps": [r.__dict__ for r in results], **summary})
        return
    from stackctl.cli.stack_view import console, up_view

    console().print(up_view(settings.project, sum(r.seconds for r in results), summary))


def _failure_logs(step_ctx: Any, lines: int = 15) -> str:
    """The last log lines of services whose tasks are not running."""
    from stackctl.errors import ToolError
    from stackctl.swarm.stackfile import STACK_FILE, wanted_tasks
    from stackctl.swarm.wait import progress

    path = step_ctx.state_dir / STACK_FILE
    if not path.exists():
        return ""
    import json

    try:
        wanted = wanted_tasks(json.loads(path.read_text()))
        now = progress(step_ctx.stack.tasks(), wanted)
        bad = [n for n, want in wanted.items() if now.running[n] < want][:3]
        if not bad:
            return ""
        text = "\n".join(step_ctx.stack.logs(name, tail=lines).rstrip() for name in bad)
        errors = "; ".join(f"{n}: {now.errors[n]}" for n in bad if n in now.errors)
        return (f"tasks not running: {', '.join(bad)}" + (f" ({errors})" if errors else "")
                + (f"\nlast log lines:\n{text}" if text.strip() else ""))
    except ToolError:
        return ""


def down(step_ctx: Any, volumes: bool, as_json: bool) -> None:
    """`docker stack rm`, the access proxy, wait until gone, volumes on this node."""
    from stackctl.swarm import access

    stack = step_ctx.stack
    proxy = access.stop(step_ctx.model)  # it holds an endpoint on the front network
    from stackctl.engine.swarm import probe_name
    from stackctl.runtime.swarm import remove_container

    remove_container(probe_name(step_ctx.model.settings.project))  # a drill cut short
    if stack.exists():
        stack.remove()
    left = stack.wait_removed(volumes=volumes)
    leftover = {k: v for k, v in left.items() if v}
    project = step_ctx.model.settings.project
    if as_json:
        print_json({"project": project, "engine": "swarm", "down": not leftover,
                    "volumes_removed": volumes, "proxy_removed": proxy, "left": leftover})
    else:
        note = " (volumes on this node removed)" if volumes else " (volumes kept)"
        typer.echo(f"stack {project} is down on swarm{note}")
        if leftover:
            typer.echo("still there: " + "; ".join(f"{k}: {', '.join(v)}"
                                                   for k, v in leftover.items()), err=True)
    if leftover:
        raise typer.Exit(1)


def status(step_ctx: Any, as_json: bool) -> None:
    """Services and their current tasks (node, state, error; the gateway's and the pump's
    tasks also whether their HTTP probe passes: their images have no shell for a Swarm
    healthcheck), the cluster's readiness from a probe on the Redis overlay, the
    gateway's /hello."""
    from stackctl.clients.gateway import gateway_state
    from stackctl.errors import ToolError
    from stackctl.images.select import stack_images
    from stackctl.swarm.health import healthy_tasks
    from stackctl.swarm.stackfile import INIT_SERVICE
    from stackctl.swarm.wait import run_script

    stack = step_ctx.stack
    services = stack.services()
    tasks = [t for t in stack.tasks() if t.desired in ("running", "complete")]
    image = stack_images(step_ctx.model.settings)["redis"]
    probed = ("gateway", "pump")
    try:
        passing = {i for ids in healthy_tasks(stack, image, probed).values() for i in ids}
    except ToolError:
        passing = set()
    rows = [{"service": s.name, "mode": s.mode, "replicas": s.replicas,
             "tasks": [{"slot": t.slot, "node": t.node, "state": t.state,
                        "desired": t.desired, "error": t.error,
                        **({"healthy": t.id in passing} if s.name in probed else {})}
                       for t in tasks if t.service == s.name]} for s in services]
    try:
        ready = run_script(step_ctx.model, stack, image, "cluster-ready.sh")
        cluster = {"ready": ready.ok, "detail": (ready.stdout.strip() or ready.stderr.strip()
                                                 or "no answer").splitlines()[-1]}
    except ToolError as exc:
        cluster = {"ready": False, "detail": str(exc)}
    gateway = gateway_state(step_ctx.gateway_url, step_ctx.secrets.gateway_secret)
    healthy = bool(services) and cluster["ready"] and gateway["redis"] == "pass" and all(
        r["service"] == INIT_SERVICE or
        sum(t["state"] == "running" and t.get("healthy", True) for t in r["tasks"])
        >= r["replicas"] for r in rows)
    data = {"engine": "swarm", "services": rows, "cluster": cluster, "gateway": gateway,
            "healthy": healthy}
    if as_json:
        print_json(data)
    else:
        for r in rows:
            states = ", ".join(f"{t['slot'] or '-'}@{t['node']}:{t['state']}"
                               + ("" if t.get("healthy", True) else " (probe fails)")
                               + (f" ({t['error']})" if t["error"] else "")
                               for t in r["tasks"]) or "no task"
            typer.echo(f"{r['service']:<14} {r['mode']:<15} {states}")
        typer.echo(f"cluster: {'ready' if cluster['ready'] else 'NOT ready'} - "
                   f"{cluster['detail']}")
        typer.echo(f"gateway: {gateway['version'] or '?'} redis {gateway['redis']}")
        typer.echo("healthy" if healthy else "NOT healthy")
    if not healthy:
        raise typer.Exit(1)


def logs(step_ctx: Any, services: list[str], follow: bool, tail: int | None) -> None:
    """Each service's logs, every task's (prefixed with the task); `--follow` one service."""
    import sys

    from stackctl.errors import ConfigError

    stack = step_ctx.stack
    names = services or [s.name for s in stack.services()]
    if follow:
        if len(names) != 1:
            raise ConfigError("--follow", "follows one service on engine = swarm",
                              "name one service, e.g. `stackctl logs -f gateway`")
        from stackctl.runtime.swarm import follow_logs

        follow_logs(stack.full(names[0]), tail, sys.stdout)
        return
    for name in names:
        typer.echo(stack.logs(name, tail=tail), nl=False)
