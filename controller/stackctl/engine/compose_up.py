"""`ComposeEngine`'s side of `up` and of `recreate_env`: Compose starts each part in its own
step (the nodes, then the Tyk services), each watched until decided."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from stackctl.clients.gateway import GatewayClient, wait_redis_pass
from stackctl.cluster.wait import start_cluster
from stackctl.context import StackContext
from stackctl.context.render import render_stack
from stackctl.doctor import check_compose, check_ports
from stackctl.errors import ConfigError, ToolError
from stackctl.names import TYK_SERVICES
from stackctl.pipeline import Outcome, skipped
from stackctl.render.stack import COMPOSE_FILE
from stackctl.runtime.compose import Compose
from stackctl.runtime.health import probed, read_healthchecks
from stackctl.tyk.detect import StartupFailure
from stackctl.tyk.watch import components, settle_times, watch

READY_TIMEOUT_S = 180
START_TIMEOUT_S = 120
RECREATE_TIMEOUT_S = 180.0
HELLO_TIMEOUT_S = 60.0


def _ports_held_by_project(ctx: StackContext) -> set[int]:
    """Published ports already held by this project's running services (a re-up)."""
    if not ctx.compose_file.exists():
        return set()
    try:
        running = {s.service for s in ctx.services() if s.state == "running"}
    except ToolError:
        return set()
    ports = ctx.model.settings.published_ports()
    return {port for service, port in ports.items() if service in running}


class ComposeSteps(Compose):
    """The `Engine` methods of `up` and `recreate_env` on Compose (`ComposeEngine`'s)."""

    state_dir: Path

    def preflight(self, ctx: StackContext, refs: list[str]) -> str:
        """The Compose plugin, and every published port free (or already this project's)."""
        if (check := check_compose()).status == "fail":
            raise ToolError(f"{check.detail}; {check.fix}")
        ours = _ports_held_by_project(ctx)
        for check in check_ports(ctx.model.settings, ours):
            if check.status == "fail":
                raise ConfigError(check.name.replace("port-", "") + ".port", check.detail,
                                  check.fix)
        return "compose plugin present, ports free"

    def render(self, ctx: StackContext) -> str:
        """Redis configs, Tyk configs and the compose file (`context.render`)."""
        done = render_stack(ctx)
        note = "; unchanged since the last up" if done.unchanged else ""
        return f"{done.files} files in {done.directory}{note}"

    def roll_out(self, ctx: StackContext) -> str | Outcome:
        """Nothing at once: Compose starts each part in its own step."""
        return skipped("compose starts the Redis and Tyk services in their own steps")

    def start_redis(self, ctx: StackContext) -> str | Outcome:
        """`compose up` of nodes, cluster-init and gate; then the gate's rule until it passes."""
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        start_cluster(self, READY_TIMEOUT_S, step="redis-cluster")
        s = ctx.model.settings.redis
        return f"{s.shards} primaries x {s.replicas} replicas ready (tls {s.tls})"

    def start_tyk(self, ctx: StackContext) -> str:
        """`compose up` on the Tyk services, then each Redis-connected component watched until
        decided; a failure raises `StartupFailure` with every verdict (for the fallback step)."""
        if ctx.results.unchanged:
            return "unchanged: nothing recreated"
        # The redis-cluster step saw the cluster ready: --no-deps spares Compose from
        # re-running cluster-init and waiting on the gate again (about 2 s; with the gate's
        # once-a-minute healthcheck, up to a minute: without --no-deps Compose waits for
        # `service_healthy`, with it it does not, measured on Compose 2.40).
        self.up(list(TYK_SERVICES), wait=False, no_deps=True)
        detections = watch(self, components(ctx.compose_file, ctx.model.settings),
                           START_TIMEOUT_S, settle=settle_times(ctx.model.settings),
                           checks=read_healthchecks(ctx.compose_file))
        if not all(d.ok for d in detections):
            raise StartupFailure("tyk", detections)
        return ", ".join(TYK_SERVICES) + " healthy"

    def failure_logs(self, lines: int) -> str:
        """The last log lines of services that are not running or not healthy."""
        compose_file = self.state_dir / COMPOSE_FILE
        if not compose_file.exists():
            return ""
        try:
            states = probed(self, self.ps(), read_healthchecks(compose_file))
            bad = [s.service for s in states
                   if (s.state != "running" and s.exit_code != 0)
                   or s.health in ("unhealthy", "starting")]
            if not bad:
                return ""
            text = self.logs(bad[:3], tail=lines)
            return f"last log lines of {', '.join(bad[:3])}:\n{text.rstrip()}"
        except ToolError:
            return ""

    def recreate_env(self, ctx: StackContext, want: Mapping[str, Mapping[str, str | None]],
                     say: Callable[[str], None]) -> dict[str, str]:
        """`Engine.recreate_env` on Compose: re-render, recreate only gateway(s) and pump (extra
        gateways removed), wait until they pass and say Redis pass, check their environment."""
        engine = ctx.engine
        render_stack(ctx)
        services = [*engine.gateway_services(), "pump"]
        engine.recreate(services, remove_orphans=True)
        engine.wait_running(RECREATE_TIMEOUT_S, "gateway and pump", services)
        with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
            wait_redis_pass(gw, HELLO_TIMEOUT_S)
        for service, names in want.items():
            env = engine.service_env(service)
            wrong = {k: env.get(k, "") for k, v in names.items()
                     if (k in env if v is None else env.get(k) != v)}
            if wrong:
                raise ToolError(f"{service} did not take the environment: {wrong}")
        env = engine.service_env("gateway")
        return {k: env.get(k, "") for k in want.get("gateway", {})}

    def drifted(self, ctx: StackContext) -> list[str]:
        """Nothing: a recreate applies these settings to gateway and pump anyway."""
        return []
