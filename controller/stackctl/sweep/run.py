"""The whole sweep: check the stack runs, create the API and keys, for each point not yet
stored apply it, measure its repeats and store it; then clean up, put the stack back and
write the report (JSON, Markdown, PNG). Bounded by a total time budget. One loop over
the stack's engine (`session.SweepSession`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from stackctl.context import StackContext
from stackctl.engine.factory import stack_context
from stackctl.images.select import stack_images
from stackctl.load.keys import SmokeSetup
from stackctl.model import build_model
from stackctl.state import atomic_write, atomic_write_json
from stackctl.sweep.measure import Target
from stackctl.sweep.plot import plot
from stackctl.sweep.points import Point, SweepOptions, fingerprint
from stackctl.sweep.report import REPORT_JSON, REPORT_MD, REPORT_PNG, build_report, render_markdown
from stackctl.sweep.session import SweepSession
from stackctl.sweep.stats import summarize_repeats
from stackctl.sweep.store import load_point, save_point
from stackctl.tyk.support import target_versions

OUT_DIR = "sweep"

Say = Callable[[str], None]


class PointLoop(Protocol):
    """What the loop drives (`SweepSession`; a fake in the loop's logic tests)."""

    engine: str
    apply_estimate_s: float
    repeat_overhead_s: float

    def create_target(self) -> SmokeSetup:
        """The API the sweep loads and its keys."""
        ...

    def cleanup_target(self, made: SmokeSetup) -> list[str]:
        """Remove what `create_target` made; the problems met."""
        ...

    def apply(self, point: Point) -> dict[str, str]:
        """Put `point` on; the gateway's environment as applied."""
        ...

    def wait_serving(self, made: SmokeSetup) -> None:
        """Until the API answers 200 with a key."""
        ...

    def target(self, made: SmokeSetup) -> Target:
        """Where the load goes."""
        ...

    def run_repeat(self, options: SweepOptions, target: Target) -> dict[str, Any]:
        """One measured repeat's figures."""
        ...

    def restore(self) -> None:
        """The stack's own settings back."""
        ...


def out_dir(ctx: StackContext, options: SweepOptions) -> Path:
    """--out, or <state_dir>/sweep."""
    return options.out if options.out is not None else ctx.state_dir / OUT_DIR


def sweep_context(ctx: StackContext, gateways: int) -> StackContext:
    """The same stack with `gateways` gateway containers."""
    s = ctx.model.settings
    settings = s.model_copy(update={"gateway": s.gateway.model_copy(
        update={"replicas": gateways})})
    return stack_context(build_model(settings))


def stack_identity(ctx: StackContext) -> dict[str, Any]:
    """What about the stack a point's figures depend on."""
    s = ctx.model.settings
    tasks = ctx.engine.load_site().tasks
    on_tasks = {"load_tasks": tasks} if tasks else {}
    return {"engine": s.engine, "shards": s.redis.shards, "replicas": s.redis.replicas,
            "tls": s.redis_tls, "maxclients": s.redis.maxclients, "images": stack_images(s),
            "release": target_versions(s)[0], **on_tasks}


def estimate_s(options: SweepOptions, runtime: PointLoop) -> float:
    """Seconds one repeat of a point is expected to take (putting it on, then one
    repeat: interleaved, every repeat puts its point on again)."""
    per_repeat = options.warmup_s + 2 * options.duration_s + runtime.repeat_overhead_s
    return runtime.apply_estimate_s + per_repeat


def _repeat_line(point: Point, i: int, options: SweepOptions, figures: dict[str, Any]) -> str:
    cpu = figures["gateway_cpu_us_per_request"]
    steady = figures["steady"]["passed"]
    verdict = "steady" if steady else "steady not measured" if steady is None else "UNSTABLE"
    return (f"{point.label}: repeat {i + 1}/{options.repeat}: "
            f"{figures['closed']['rps']:.0f} req/s, p99 {figures['closed']['p99_ms']} ms, "
            f"{'-' if cpu is None else f'{cpu:.0f}'} us gateway CPU/request, {verdict}, "
            f"saturated: {figures['saturated']}, pool timeouts {figures['pool_timeouts']}")


def _result(point: Point, fp: str, options: SweepOptions, env: dict[str, str],
            repeats: list[dict[str, Any]]) -> dict[str, Any]:
    return {"point": point.as_dict(), "slug": point.slug, "label": point.label,
            "fingerprint": fp, "complete": len(repeats) >= options.repeat, "env": env,
            "repeats": repeats, "summary": summarize_repeats(repeats),
            "completed_at": datetime.now(UTC).isoformat(timespec="seconds")}


def measure_points(runtime: PointLoop, options: SweepOptions, todo: list[Point], fp: str,
                   out: Path, say: Say, clock: Callable[[], float] = time.monotonic,
                   stored: dict[str, dict[str, Any]] | None = None
                   ) -> tuple[dict[str, dict[str, Any]], str]:
    """The loop both engines share, interleaved: round by round (ABCABC, so that the
    machine's drift spreads over every point) each point still short of that round's
    repeat is put on and measured once, and stored. The target is created first; clean
    up and restore in a finally (an error or Ctrl-C included). The results by slug
    (`stored` ones carried on), and why it stopped early."""
    done: dict[str, dict[str, Any]] = dict(stored or {})
    stopped = ""
    start = clock()
    made = runtime.create_target()
    measured = 0
    try:
        for round_ in range(options.repeat):
            for point in todo:
                have = done.get(point.slug, {}).get("repeats", [])
                if len(have) > round_:
                    continue
                spent = clock() - start
                if spent + estimate_s(options, runtime) > options.budget_s:
                    stopped = (f"time budget {options.budget_s:.0f} s reached after "
                               f"{spent:.0f} s ({measured} new repeat(s) measured).")
                    break
                say(f"{point.label}: putting it on {options.gateways} gateway(s) and the "
                    f"pump ({runtime.engine}), round {round_ + 1}/{options.repeat}")
                env = runtime.apply(point)
                runtime.wait_serving(made)
                figures = runtime.run_repeat(options, runtime.target(made))
                measured += 1
                say(_repeat_line(point, len(have), options, figures))
                done[point.slug] = _result(point, fp, options, env, [*have, figures])
                save_point(out, point, done[point.slug])
            if stopped:
                break
    finally:
        try:
            for problem in runtime.cleanup_target(made):
                say(f"cleanup: {problem}")
        finally:
            say("restoring the stack's own gateway and pump settings")
            runtime.restore()
    return done, stopped


def _maxclients(ctx: StackContext, runtime: SweepSession, points: list[dict[str, Any]]
                ) -> dict[str, Any]:
    live = max((int(r.get("maxclients_live", 0)) for p in points for r in p["repeats"]),
               default=0)
    if not live:
        live = max((c.maxclients for c in runtime.node_clients()), default=0)
    setting = ctx.model.settings.redis.maxclients
    return {"live": live, "setting": setting, "used": live or setting,
            "source": "live, CONFIG GET maxclients" if live else "setting redis.maxclients"}


def run_sweep(ctx: StackContext, options: SweepOptions, say: Say) -> dict[str, Any]:
    """Run (or resume) the sweep and write its report; the report document."""
    options.validate()
    out = out_dir(ctx, options)
    sctx = sweep_context(ctx, options.gateways)
    runtime = SweepSession(ctx, sctx, say)
    runtime.ensure_running()
    identity = stack_identity(ctx)
    fp = fingerprint(options, identity)
    points = options.points(ctx.model.settings.gateway.max_active)
    results: dict[str, dict[str, Any]] = {}
    for p in points:
        stored = load_point(out, p, fp)
        if stored is not None:
            results[p.slug] = stored
            n = len(stored["repeats"])
            say(f"{p.label}: reusing the stored result ({n} repeat(s))")
    stopped = ""
    if any(len(results.get(p.slug, {}).get("repeats", [])) < options.repeat for p in points):
        results, stopped = measure_points(runtime, options, points, fp, out, say,
                                          stored=results)
    ordered = [results[p.slug] for p in points if p.slug in results]
    meta = {"project": ctx.model.settings.project, "release": identity["release"],
            "engine": runtime.engine, "load": runtime.load_note(options),
            "gateways": options.gateways,
            "options": {**asdict(options), "out": str(out)}, "fingerprint": fp,
            "maxclients": _maxclients(ctx, runtime, ordered),
            "complete": len(ordered) == len(points) and all(r["complete"] for r in ordered),
            "stopped": stopped, "own_max_active": ctx.model.settings.gateway.max_active,
            "files": {"json": str(out / REPORT_JSON), "markdown": str(out / REPORT_MD),
                      "plot": str(out / REPORT_PNG)}}
    report = build_report(ordered, meta)
    atomic_write_json(out / REPORT_JSON, report)
    atomic_write(out / REPORT_MD, render_markdown(report))
    if any(p["point"]["max_idle"] is None and not p["point"].get("arm") for p in ordered):
        plot(report, out / REPORT_PNG)
    return report
