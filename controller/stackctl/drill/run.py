"""The whole drill: check the input and the stack before touching it, run each scenario
(repeats included) with the stack restored after each one, and write the report (JSON,
Markdown, a PNG timeline per run) as each run completes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackctl.drill import vary as vy
from stackctl.drill.buckets import BUCKET_S
from stackctl.drill.measure import run_scenario
from stackctl.drill.options import KEYS, REQUEST_TIMEOUT_S, DrillOptions
from stackctl.drill.plot import plot_run, plot_vary
from stackctl.drill.report import (
    REPORT_JSON,
    REPORT_MD,
    VARY_PNG,
    build_report,
    png_name,
    render_markdown,
)
from stackctl.drill.scenarios import Scenario, scenarios
from stackctl.drill.vary import IMAGES_GATEWAY
from stackctl.engine.base import Engine, refuse
from stackctl.errors import ConfigError
from stackctl.images.select import stack_images
from stackctl.runtime.images import images_present
from stackctl.state import atomic_write, atomic_write_json
from stackctl.tyk.gateway_version import container_version, hello_version, image_version
from stackctl.tyk.lookup import rate_limiter
from stackctl.tyk.render_gateway import check_limiter
from stackctl.tyk.support import target_versions

if TYPE_CHECKING:
    from stackctl.context import StackContext

OUT_DIR = "drill"
Say = Callable[[str], None]


def out_dir(ctx: StackContext, options: DrillOptions) -> Path:
    """--out, or <state_dir>/drill."""
    return options.out if options.out is not None else ctx.state_dir / OUT_DIR


def check_input(ctx: StackContext, options: DrillOptions) -> list[Scenario]:
    """Every refusal, before the stack is touched (ConfigError, exit 2)."""
    chosen = scenarios(options.scenarios)
    cluster = ctx.cluster
    if (why := cluster.unsupported("redis-faults")) and (
            server_side := [s.name for s in chosen if s.redis]):
        raise ConfigError(f"scenario {server_side[0]!r}", f"faults a Redis node, and {why}",
                          "choose a client-side fault: restart-gateway or stop-pump")
    if (why := cluster.unsupported("redis-config")) and (
            live := [v.knob.setting for v in options.varies if v.knob.touches == "redis"]):
        raise ConfigError(f"--vary {live[0]}",
                          f"sets the Redis nodes' own configuration, and {why}",
                          "vary a gateway setting instead")
    options.validate()
    check_engine(ctx.engine, chosen, options)
    replicas = ctx.model.settings.redis.replicas
    lossy = [s.name for s in chosen if s.loses_primary]
    if lossy and replicas == 0 and not options.allow_data_loss:
        raise ConfigError(f"scenario {lossy[0]!r}", "the cluster has 0 replicas: no "
                          "failover is possible and the primary's keys would be lost",
                          "bring the stack up with --replicas 1, or pass --allow-data-loss")
    needs = [s.name for s in chosen if s.name == "failover" or s.role == "replica"]
    if needs and replicas == 0:
        raise ConfigError(f"scenario {needs[0]!r}", "the cluster has 0 replicas",
                          "bring the stack up with --replicas 1")
    check_images(ctx, options)
    return chosen


def check_engine(engine: Engine, chosen: Sequence[Scenario], options: DrillOptions) -> None:
    """The engine's refusals that need no target (ConfigError, exit 2; nothing touched):
    a scenario it cannot run, --vary, the stack not running."""
    for scenario in chosen:
        refuse(engine, f"scenario:{scenario.name}", f"scenario {scenario.name!r}")
    if options.varies:
        refuse(engine, "vary", f"--vary {options.varies[0].knob.setting}",
               "compare settings on a Compose stack, or run one drill per `stackctl up`")
    engine.require_running()


def check_present(options: DrillOptions) -> None:
    """--vary images.gateway: every image present on the engine (nothing is pulled in the
    middle of a drill); ConfigError naming the absent ones (exit 2, nothing run)."""
    missing = [ref for ref, there in images_present(_images(options)).items() if not there]
    if missing:
        raise ConfigError(f"--vary {IMAGES_GATEWAY}", f"{', '.join(missing)} not present "
                          "on this engine", "build it (`stackctl images build`), `docker "
                          "pull` it, or see `docker images` for its name")


def _images(options: DrillOptions) -> list[str]:
    return next((list(v.values) for v in options.varies
                 if v.knob.setting == IMAGES_GATEWAY), [])


def check_images(ctx: StackContext, options: DrillOptions) -> None:
    """--vary images.gateway: each image present, and able to run this stack's rate
    limiter with its TLS mode (its release read from its labels or tag)."""
    check_present(options)
    s = ctx.model.settings
    for ref in _images(options):
        release = image_version(ref).release or target_versions(s)[0]
        check_limiter(rate_limiter(s.gateway.rate_limiter), s.redis_tls, release)


def read_gateway(ctx: StackContext) -> dict[str, Any]:
    """The running gateway's image, release and Redis client (GatewayVersion.as_dict):
    the first gateway container's image labels and tag, then its /hello."""
    image = stack_images(ctx.model.settings)["gateway"]
    hello = hello_version(ctx.gateway_url)
    container = ctx.engine.container_of("gateway")
    if container is None:
        return image_version(image, hello).as_dict()
    return container_version(container, image, hello).as_dict()


def _meta(ctx: StackContext, options: DrillOptions, out: Path) -> dict[str, Any]:
    s = ctx.model.settings

    return {
        "project": s.project, "release": target_versions(s)[0],
        "settings": {"shards": s.redis.shards, "replicas": s.redis.replicas,
                     "tls": s.redis_tls, "node_timeout_ms": s.redis.node_timeout_ms,
                     "max_active": s.gateway.max_active,
                     "storage_timeout_s": s.gateway.storage_timeout_s},
        "options": {"scenarios": list(options.scenarios), "rate": options.rate,
                    "duration_s": options.duration_s, "at_s": options.at_s,
                    "repeat": options.repeat, "connections": options.connections,
                    "timeout_s": REQUEST_TIMEOUT_S, "keys": KEYS, "bucket_s": BUCKET_S,
                    "slos": [x.text for x in options.slos], "out": str(out),
                    "vary": [{"setting": v.knob.setting, "values": list(v.values)}
                             for v in options.varies]},
        "files": {"json": str(out / REPORT_JSON), "markdown": str(out / REPORT_MD)},
    }


def write_report(runs: list[dict[str, Any]], options: DrillOptions, meta: dict[str, Any],
                 out: Path, complete: bool) -> dict[str, Any]:
    """Plots for runs that have none yet, then the JSON and Markdown (atomic)."""
    for run in runs:
        if "plot" not in run:
            run["plot"] = str(plot_run(run, out / png_name(run)))
    report = build_report(runs, options.slos, {**meta, "complete": complete})
    if options.varies and runs:
        report["files"]["vary_plot"] = str(plot_vary(report["comparison"], out / VARY_PNG))
    atomic_write_json(out / REPORT_JSON, report)
    atomic_write(out / REPORT_MD, render_markdown(report))
    return report


def run_drill(ctx: StackContext, options: DrillOptions, say: Say) -> dict[str, Any]:
    """Run the drill and return the report document (written as it goes). With
    --vary, every combination in turn (the stack's own values put back at the end,
    also when a run fails or is interrupted)."""
    chosen = check_input(ctx, options)
    out = out_dir(ctx, options)
    out.mkdir(parents=True, exist_ok=True)
    gateway = read_gateway(ctx)
    meta = {**_meta(ctx, options, out), "engine": ctx.engine.name,
            "engine_note": ctx.engine.note,
            "gateway": gateway}
    meta["release"] = gateway["release"] or meta["release"]
    runs: list[dict[str, Any]] = []
    own = vy.current(ctx.model.settings, options.varies)
    now, here = own, ctx
    changed: set[vy.Touches] = set()
    with ctx.engine.gate() as gate:
        try:
            for combo in vy.combinations(options.varies):
                what = vy.touched(now, combo)
                if what:
                    changed |= what
                    here, now = vy.apply(ctx, combo, what, say), combo
                    gateway = read_gateway(here)
                    say(f"vary: gateway {gateway['image']}: Tyk {gateway['release']}, "
                        f"{gateway['client']}")
                for scenario in chosen:
                    for i in range(1, options.repeat + 1):
                        run = run_scenario(here, gate, scenario, options, i, say,
                                           gateway["release"])
                        run["gateway"] = gateway
                        if options.varies:
                            run["vary"] = dict(combo)
                            if "redis" in vy.touched(own, combo):  # a restarted node read
                                vy.set_node_timeout(here, here.model.settings.redis.node_timeout_ms)
                        runs.append(run)
                        write_report(runs, options, meta, out, complete=False)
        finally:
            if changed:
                vy.put_back(ctx, changed, say)
    return write_report(runs, options, meta, out, complete=True)
