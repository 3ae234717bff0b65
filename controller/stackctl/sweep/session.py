"""The sweep's side of the stack, over `ctx.engine` for either engine: the stack must run
as these settings render it; the API and keys (a fresh API where the engine's loads
make their own, else keys for the API baked into every gateway); a point put on by
recreating the gateway(s) and the pump with its environment (the sweep's context has
`--gateways` gateways), the stack's own settings back afterwards; one repeat's load and
meter (`measure`); the Redis clients (`probes`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stackctl.clients.gateway import GatewayClient
from stackctl.cluster.access import NodeClients
from stackctl.context import StackContext
from stackctl.context.gateway import stack_gateway
from stackctl.errors import ConfigError
from stackctl.load import keys as api_keys
from stackctl.sweep import measure
from stackctl.sweep.overrides import clear_overrides, point_env, write_overrides
from stackctl.sweep.points import Point, SweepOptions

KEYS = 2
"""Two keys: enough for an auth path per request without filling Redis with sessions
(at least one per gateway from the load tasks: each key is a wrk thread)."""


def key_count(gateways: int, tasks: int) -> int:
    """Keys for the sweep: from load tasks one wrk thread per key, so that every gateway
    task gets threads from every load task, at least one per gateway."""
    return max(KEYS, gateways) if tasks else KEYS


@dataclass
class SweepSession:
    """One sweep on the stack in `ctx`; `sctx` is its copy with `--gateways` gateways."""

    ctx: StackContext
    sctx: StackContext
    say: Callable[[str], None] = field(default=lambda _line: None)
    applied: dict[str, list[str]] = field(default_factory=dict)
    """Per service, the variables the points set (gone again after `restore`)."""

    def __post_init__(self) -> None:
        self.site = self.ctx.engine.load_site()
        self.engine = self.ctx.engine.name
        tasks = bool(self.site.tasks)
        self.apply_estimate_s = 45.0 if tasks else 30.0
        """Seconds putting a point on is expected to take (the time budget)."""
        self.repeat_overhead_s = 15.0 if tasks else 8.0
        """Seconds a repeat costs beyond its load runs (each run from load tasks is a
        job: created, scheduled, its logs read)."""

    def ensure_running(self) -> None:
        """ConfigError (exit 2, nothing changed) unless the stack runs, and runs as these
        settings render it."""
        engine = self.ctx.engine
        engine.require_running()
        changed = engine.drifted(self.ctx)
        if changed:
            raise ConfigError(f"stack {self.ctx.model.settings.project}", "runs with other "
                              f"gateway or pump settings than these (the render changes "
                              f"{', '.join(changed)})", "run `stackctl up` with these "
                              "settings first, then the sweep")

    def create_target(self) -> api_keys.SmokeSetup:
        """The API the sweep loads and its unlimited keys."""
        api = self.site.api
        keys = key_count(self.sctx.model.settings.gateway.replicas, self.site.tasks)
        with stack_gateway(self.ctx) as gw:  # pro: APIs through the Dashboard
            if not api.own:
                return api_keys.unlimited_keys(gw, api.api_id, api.listen_path, keys)
            made = api_keys.new_api(gw)
            return api_keys.unlimited_keys(gw, made.api_id, made.listen_path, keys)

    def cleanup_target(self, made: api_keys.SmokeSetup) -> list[str]:
        """Remove what `create_target` made; the problems met (best effort)."""
        with stack_gateway(self.ctx) as gw:
            problems = (api_keys.cleanup(gw, made) if self.site.api.own
                        else api_keys.delete_keys(gw, made.keys))
        return problems + self.ctx.cluster.forget([k.key_hash for k in made.keys])

    def apply(self, point: Point) -> dict[str, str]:
        """Put `point` on the gateway(s) and the pump and wait until they serve; the
        gateway's environment as applied (checked against the point)."""
        env = point_env(point)
        for service, names in env.items():
            seen = self.applied.setdefault(service, [])
            seen += [n for n in names if n not in seen]
        write_overrides(self.sctx.state_dir, env)
        return self.sctx.engine.recreate_env(self.sctx, env, self.say)

    def wait_serving(self, made: api_keys.SmokeSetup) -> None:
        """Until the sweep's API answers 200 with a key."""
        with GatewayClient(self.ctx.gateway_url) as gw:
            api_keys.wait_serving(gw, made)

    def target(self, made: api_keys.SmokeSetup) -> measure.Target:
        """Where the load goes."""
        gateways = self.sctx.engine.gateway_targets(self.sctx)
        return measure.Target([g for g, _ in gateways], [b for _, b in gateways],
                              made.listen_path, api_keys.raw_keys(made), self.site.tasks)

    def run_repeat(self, options: SweepOptions, target: measure.Target) -> dict[str, Any]:
        """One measured repeat (`measure.run_repeat`)."""
        return measure.run_repeat(self.sctx, options, target)

    def restore(self) -> None:
        """The stack's own gateway and pump settings back (runs in a finally); the
        points' variables must be gone."""
        clear_overrides(self.ctx.state_dir)
        self.ctx.engine.recreate_env(
            self.ctx, {s: dict.fromkeys(n) for s, n in self.applied.items()}, self.say)

    def node_clients(self) -> list[NodeClients]:
        """Redis clients and maxclients per node, read now."""
        return self.ctx.cluster.clients()

    def load_note(self, options: SweepOptions) -> str:
        """How the load is made, one sentence for the report."""
        if self.site.tasks:
            return (f"wrk closed loop from {self.site.tasks} load task(s) on the front "
                    f"overlay ({options.connections} connections in total, "
                    f"{options.duration_s} s after a {options.warmup_s} s warm-up), each "
                    f"task's threads spread over the gateway's tasks; percentiles are the "
                    f"highest task's; then builtin open model at {options.rate} req/s from "
                    f"this host through {self.ctx.gateway_url} (wrk has no fixed arrival "
                    f"rate)")
        return (f"builtin closed loop ({options.connections} connections, "
                f"{options.duration_s} s after a {options.warmup_s} s warm-up) against each "
                f"gateway's front-network address, then builtin open model at "
                f"{options.rate} req/s on the published gateway")
