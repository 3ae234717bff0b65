"""`SwarmEngine`'s side of `up`; its steps hand each other `ctx.results.swarm` (placement
groups, the services the render changed, the tasks running before the deploy)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from stackctl.context import StackContext
from stackctl.context.results import SwarmRun
from stackctl.doctor import check_ports
from stackctl.engine.base import smoke_api
from stackctl.errors import ConfigError, ToolError
from stackctl.images.select import stack_images
from stackctl.names import INIT_SERVICE, SMOKE_API_ID, TYK_SERVICES
from stackctl.pipeline import Outcome
from stackctl.runtime import swarm
from stackctl.swarm import access
from stackctl.swarm.health import wait_healthy
from stackctl.swarm.placement import decide
from stackctl.swarm.render import render_swarm
from stackctl.swarm.stackfile import JOB_FILE, STACK_FILE, check_swarm_settings, wanted_tasks
from stackctl.swarm.wait import progress, wait_cluster_ready, wait_job, wait_running

PUBLISH_WARNING = ("swarm.publish_gateway: the gateway listens on port {port} of EVERY "
                   "interface of every swarm node running a gateway task (Swarm cannot "
                   "bind a published port to one address)")
NODES_TIMEOUT_S = 180
JOB_TIMEOUT_S = 240
READY_TIMEOUT_S = 180
START_TIMEOUT_S = 180


def _fresh(ctx: StackContext, names: list[str]) -> dict[str, frozenset[str]]:
    run = ctx.results.swarm
    return {n: run.before for n in names if n in run.changed} if run else {}


class SwarmSteps:
    """The `Engine` methods of `up` on swarm (`SwarmEngine`'s)."""

    stack: swarm.Stack
    state_dir: Path

    def preflight(self, ctx: StackContext, refs: list[str]) -> str:
        """Swarm settings, a manager, the placement, `refs` on other nodes, the proxy's port."""
        settings = ctx.model.settings
        check_swarm_settings(settings)
        swarm.require_manager()
        nodes = swarm.nodes()
        placement = decide(settings.swarm.placement, nodes, settings.redis.replicas)
        if len(nodes) > 1:  # this node's images are checked by the step
            lacking = swarm.Stack(settings.project).missing_images(refs)
            if lacking:
                node, what = sorted(lacking.items())[0]
                raise ConfigError("images", f"missing on node {node}: {', '.join(what)}"
                                  + (f" (and {len(lacking) - 1} more node(s))"
                                     if len(lacking) > 1 else ""),
                                  f"`stackctl images save` here, copy the tar, `stackctl "
                                  f"images load` on {node}")
        proxy = swarm.container_running(access.container_name(ctx.model))
        ours = {settings.gateway.port} if proxy else set()
        for check in check_ports(settings, ours):
            if check.status == "fail" and check.name == "port-gateway":
                raise ConfigError("gateway.port", check.detail, check.fix)
        where = (f"{placement.groups} label group(s)" if placement.groups
                 else "placement by Swarm's spread")
        published = settings.swarm.publish_gateway
        notes = [n for n in (placement.warning, PUBLISH_WARNING.format(
            port=settings.gateway.port) if published else "") if n]
        verdict = (f"swarm manager, {len(nodes)} node(s), {where}"
                   + "".join(f"; warning: {n}" for n in notes))
        ctx.results.swarm = SwarmRun(placement.groups)
        return verdict

    def render(self, ctx: StackContext) -> str:
        """The stack file with the smoke API baked into the gateway's configs (every task)."""
        groups = ctx.results.swarm.groups if ctx.results.swarm else None
        done, _files = render_swarm(ctx, {f"{SMOKE_API_ID}.json": smoke_api()}, groups)
        changed = ctx.results.swarm.changed if ctx.results.swarm else ()
        note = ("; unchanged since the last up" if done.unchanged
                else f"; changed: {', '.join(changed) or 'none'}")
        return f"stack file and {done.files} Tyk files in {done.directory}{note}"

    def roll_out(self, ctx: StackContext) -> str | Outcome:
        """`docker stack deploy` (Swarm updates only the changed services), remembering the tasks
        running before so the waits see the new ones; the init job when it changed."""
        if ctx.results.unchanged:
            return "unchanged: nothing redeployed"
        stack = self.stack
        run = ctx.results.swarm or SwarmRun()
        before = frozenset(t.id for t in stack.tasks())
        stack.deploy(ctx.state_dir / STACK_FILE)
        job = (INIT_SERVICE in run.changed
               or INIT_SERVICE not in {s.name for s in stack.services()})
        if job:  # the job re-runs only when its spec changed; it is idempotent
            stack.run_job(json.loads((ctx.state_dir / JOB_FILE).read_text()))
        ctx.results.swarm = replace(run, before=before)
        return (f"stack {stack.name} deployed ({len(run.changed)} service(s) changed"
                + (f"; {INIT_SERVICE} job started)" if job else ")"))

    def start_redis(self, ctx: StackContext) -> str | Outcome:
        """Every node's task running, the init job complete, then the readiness rule passing."""
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        stack = self.stack
        nodes = {n.name: 1 for n in ctx.model.nodes}
        wait_running(stack, nodes, NODES_TIMEOUT_S, "redis nodes", _fresh(ctx, list(nodes)))
        wait_job(stack, INIT_SERVICE, JOB_TIMEOUT_S)
        verdict = wait_cluster_ready(ctx.model, stack,
                                     stack_images(ctx.model.settings)["redis"], READY_TIMEOUT_S)
        s = ctx.model.settings.redis
        return f"{s.shards} primaries x {s.replicas} replicas (tls {s.tls}): {verdict}"

    def start_tyk(self, ctx: StackContext) -> str:
        """The Tyk services' tasks running and passing their HTTP probes (no shell for a
        healthcheck), then the host's way to the gateway: the access proxy unless published."""
        settings, stack = ctx.model.settings, self.stack
        wanted = {"upstream": 1, "gateway": settings.gateway.replicas, "pump": 1}
        if not ctx.results.unchanged:
            fresh = _fresh(ctx, list(wanted))
            wait_running(stack, wanted, START_TIMEOUT_S, "tyk services", fresh)
            probed = {n: c for n, c in wanted.items() if n != "upstream"}
            wait_healthy(stack, stack_images(settings)["redis"], probed, START_TIMEOUT_S,
                         {n: f for n, f in fresh.items() if n in probed})
        if settings.swarm.publish_gateway:
            access.stop(ctx.model)
            how = (f"gateway published on port {settings.gateway.port} of EVERY interface "
                   "of each node running a gateway task (swarm.publish_gateway)")
        else:
            if not swarm.container_running(access.container_name(ctx.model)):
                access.start(ctx.model, stack, stack_images(settings)["upstream"])
            how = f"gateway reached through the local proxy on {ctx.gateway_url}"
        return (f"{', '.join(TYK_SERVICES)} running ({settings.gateway.replicas} gateway "
                f"task(s), healthy); {how}")

    def failure_logs(self, lines: int) -> str:
        """The last log lines of services whose tasks are not running."""
        stack, stack_file = self.stack, self.state_dir / STACK_FILE
        try:
            if not stack_file.exists():
                return ""
            wanted = wanted_tasks(json.loads(stack_file.read_text()))
            now = progress(stack.tasks(), wanted)
            bad = [n for n, want in wanted.items() if now.running[n] < want][:3]
            if not bad:
                return ""
            text = "\n".join(stack.logs(name, tail=lines).rstrip() for name in bad)
            errors = "; ".join(f"{n}: {now.errors[n]}" for n in bad if n in now.errors)
            return (f"tasks not running: {', '.join(bad)}"
                    + (f" ({errors})" if errors else "")
                    + (f"\nlast log lines:\n{text}" if text.strip() else ""))
        except ToolError:
            return ""
