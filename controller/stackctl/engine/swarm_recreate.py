"""Recreate a swarm stack's gateway and pump with another environment (a sweep point, or the
stack's own settings back): re-render the stack file from the context's model (the
overrides file as it is), refuse before deploying when more than the gateway's and
pump's definitions change, deploy, wait until only new tasks run and pass their HTTP
probes, and check the environment in the service specs and local task containers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.context import StackContext
from stackctl.context.results import SwarmRun
from stackctl.engine.base import smoke_api
from stackctl.errors import ConfigError, ToolError
from stackctl.images.select import stack_images
from stackctl.names import SMOKE_API_ID
from stackctl.runtime.swarm import Stack, Task, nodes
from stackctl.swarm.health import wait_healthy
from stackctl.swarm.placement import decide
from stackctl.swarm.render import render_swarm
from stackctl.swarm.stackfile import STACK_FILE
from stackctl.swarm.wait import wait_running

ROLLED = ("gateway", "pump")
"""The services a point changes."""
ROLL_TIMEOUT_S = 180.0
POLL_S = 1.0
HELLO_TIMEOUT_S = 60.0


def beyond_pool(changed: Iterable[str]) -> list[str]:
    """Changed services a pool point must not touch (a Redis node, the init job, ...)."""
    return sorted(c for c in changed if c not in ROLLED)


def leftover_tasks(tasks: Sequence[Task], wanted: Mapping[str, int]) -> dict[str, int]:
    """Per wanted service, tasks still running beyond the wanted number; empty when settled."""
    running = {name: 0 for name in wanted}
    for task in tasks:
        if task.service in wanted and task.state == "running":
            running[task.service] += 1
    return {n: c - wanted[n] for n, c in running.items() if c > wanted[n]}


def env_mismatch(seen: Mapping[str, str], want: Mapping[str, str | None]) -> dict[str, str]:
    """Variables unlike the wanted value (None: must be unset), with what was seen ('': unset)."""
    return {k: seen.get(k, "") for k, v in want.items()
            if (k in seen if v is None else seen.get(k) != v)}


def placement_groups(ctx: StackContext) -> int | None:
    """The label groups `up`'s preflight found (the same value renders the same Redis services)."""
    s = ctx.model.settings
    return decide(s.swarm.placement, nodes(), s.redis.replicas).groups


def render(ctx: StackContext, groups: int | None) -> tuple[str, ...]:
    """Re-render `ctx`'s stack file and the gateway's baked-in smoke API; the services whose
    definition changed against the file rendered before (what runs)."""
    ctx.results.swarm = SwarmRun(groups)
    render_swarm(ctx, {f"{SMOKE_API_ID}.json": smoke_api()}, groups)
    return ctx.results.swarm.changed


def check_pool_only(changed: Sequence[str], project: str) -> None:
    """ConfigError (exit 2, nothing deployed) when the render changes more than gateway and pump."""
    extra = beyond_pool(changed)
    if extra:
        raise ConfigError(f"stack {project}", "runs with other settings than these "
                          f"(the render changes {', '.join(extra)})",
                          "run `stackctl up` with these settings first")


def rolling(changed: Sequence[str], deployed: Mapping[str, Mapping[str, str]],
            rendered: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The services the deploy replaces: changed against the last render and with another
    environment than deployed (an interrupted point may have deployed it already)."""
    return [n for n in ROLLED if n in changed and dict(deployed.get(n, {}))
            != dict(rendered.get(n, {}))]


def deploy(ctx: StackContext, changed: Sequence[str],
           say: Callable[[str], None] = lambda _line: None) -> list[str]:
    """`docker stack deploy` of `ctx`'s rendered file, then wait until the gateway and the pump
    run new tasks where they roll and no old one runs; the services rolled."""
    stack = ctx.stack
    path = ctx.state_dir / STACK_FILE
    services = json.loads(path.read_text())["services"]
    rolls = rolling(changed, {n: stack.service_env(n) for n in ROLLED},
                    {n: services[n].get("environment", {}) for n in ROLLED})
    before = frozenset(t.id for t in stack.tasks() if t.service in ROLLED)
    start = time.monotonic()
    stack.deploy(path)
    wanted = {"gateway": ctx.model.settings.gateway.replicas, "pump": 1}
    say(f"  deployed: {', '.join(rolls) or 'no task'} replaced, {wanted['gateway']} "
        "gateway task(s) wanted")
    fresh = {n: before for n in rolls}
    wait_running(stack, wanted, ROLL_TIMEOUT_S, "gateway and pump", fresh)
    wait_healthy(stack, stack_images(ctx.model.settings)["redis"], wanted, ROLL_TIMEOUT_S,
                 fresh)
    deadline = time.monotonic() + ROLL_TIMEOUT_S
    while extra := leftover_tasks(stack.tasks(), wanted):
        if time.monotonic() >= deadline:
            raise ToolError(f"old tasks still running after {ROLL_TIMEOUT_S:.0f} s: {extra}")
        time.sleep(POLL_S)
    say(f"  new tasks running and no old one after {time.monotonic() - start:.0f} s")
    return rolls


def check_env(stack: Stack, want: Mapping[str, Mapping[str, str | None]]) -> dict[str, str]:
    """`want` per service in its spec and in each local task container (ToolError naming what
    differs); the gateway's spec environment for the names asked."""
    for service, names in want.items():
        wrong = env_mismatch(stack.service_env(service), names)
        if wrong:
            raise ToolError(f"{service}'s service spec did not take the sweep's environment: "
                            f"{wrong}")
        for container in stack.local_containers(service):
            env = stack.container_env(container)
            seen = {name: env[name] for name in names if name in env}
            wrong = env_mismatch(seen, names)
            if wrong:
                raise ToolError(f"{service} task {container} did not take the sweep's "
                                f"environment: {wrong}")
    spec = stack.service_env("gateway")
    return {k: spec.get(k, "") for k in want.get("gateway", {})}


class SwarmRecreate:
    """The `Engine` methods `recreate_env` and `drifted` on swarm (`SwarmEngine`'s)."""

    def recreate_env(self, ctx: StackContext, want: Mapping[str, Mapping[str, str | None]],
                     say: Callable[[str], None]) -> dict[str, str]:
        """`Engine.recreate_env` on swarm: deploy what the re-render changed (gateway and pump only,
        else ConfigError first), wait for the new tasks, check `want` in specs and containers."""
        changed = render(ctx, placement_groups(ctx))
        check_pool_only(changed, ctx.model.settings.project)
        deploy(ctx, changed, say)
        seen = check_env(ctx.stack, want)
        with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
            wait_redis_pass(gw, HELLO_TIMEOUT_S)  # the local proxy re-resolves every 5 s
        return seen

    def drifted(self, ctx: StackContext) -> list[str]:
        """The services a render of `ctx`'s settings would change against what runs."""
        changed = render(ctx, placement_groups(ctx))
        check_pool_only(changed, ctx.model.settings.project)
        return list(changed)
