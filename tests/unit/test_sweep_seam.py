"""The sweep's one loop over a per-runtime seam, and the swarm side's logic: the loop
applies, measures, stores and always cleans up and restores (an error or Ctrl-C
included); the time budget and the engine in the fingerprint; what a swarm point may
change, when a roll is settled, the environment checks, the overrides in the stack file.

The runtime here is a fake (`FakeRuntime`, named so): it stands for Docker and the
gateway, and records what the loop asked of it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from stackctl.cluster.access import NodeClients
from stackctl.engine.factory import stack_context
from stackctl.errors import ConfigError, ToolError
from stackctl.load.keys import SmokeKey, SmokeSetup
from stackctl.runtime.docker_cli import parse_env
from stackctl.runtime.swarm import Task
from stackctl.sweep.measure import Target
from stackctl.sweep.points import Point, SweepOptions, fingerprint
from stackctl.sweep.run import measure_points
from stackctl.sweep.store import load_point, point_path, save_point

pytestmark = pytest.mark.unit


def _figures(rps: float, steady: bool | None = True) -> dict[str, Any]:
    run = {"engine": "fake", "requests": int(rps * 2), "rps": rps, "p50_ms": 1.0,
           "p99_ms": 4.0, "errors": 0, "non_2xx": 0}
    return {"closed": run, "fixed": {**run, "rps": 50.0}, "pool_timeouts": 0,
            "steady": {"passed": steady, "detail": "", "fifths": []}, "cost": {},
            "saturated": "machine", "gateway_cpu_us_per_request": None,
            "gateway_mem_mib": None, "redis_clients": {"redis-1": 3}, "maxclients_live": 0}


@dataclass
class FakeRuntime:
    """A stand-in for a runtime: records calls; `fail_on` raises at a named call."""

    events: list[str] = field(default_factory=list)
    fail_on: dict[str, BaseException] = field(default_factory=dict)
    clock: list[float] = field(default_factory=lambda: [0.0])
    apply_cost_s: float = 0.0
    engine: str = "fake"
    apply_estimate_s: float = 30.0
    repeat_overhead_s: float = 5.0

    def _event(self, name: str) -> None:
        self.events.append(name)
        if name in self.fail_on:
            raise self.fail_on[name]

    def ensure_running(self) -> None:
        self._event("ensure")

    def create_target(self) -> SmokeSetup:
        self._event("create")
        return SmokeSetup("api", "/api/", (SmokeKey(SecretStr("k"), "h", 1, 1.0, False),))

    def cleanup_target(self, made: SmokeSetup) -> list[str]:
        self._event("cleanup")
        return ["a key was already gone"]

    def apply(self, point: Point) -> dict[str, str]:
        self._event(f"apply {point.slug}")
        self.clock[0] += self.apply_cost_s
        return {"TYK_GW_STORAGE_MAXACTIVE": str(point.max_active)}

    def wait_serving(self, made: SmokeSetup) -> None:
        self._event("serving")

    def target(self, made: SmokeSetup) -> Target:
        return Target(["gateway"], ["http://gateway:8080"], made.listen_path, ("k",))

    def run_repeat(self, options: SweepOptions, target: Target) -> dict[str, Any]:
        self._event(f"repeat {len([e for e in self.events if e.startswith('repeat')])}")
        return _figures(1000.0 + 10 * len(self.events))

    def restore(self) -> None:
        self._event("restore")

    def node_clients(self) -> list[NodeClients]:
        return [NodeClients("redis-1", 3, 10000)]

    def load_note(self, options: SweepOptions) -> str:
        return "fake load"


def _run(runtime: FakeRuntime, tmp_path: Path, options: SweepOptions,
         points: list[Point]) -> tuple[dict[str, Any], str, list[str]]:
    said: list[str] = []
    done, stopped = measure_points(runtime, options, points, "fp1", tmp_path, said.append,
                                   clock=lambda: runtime.clock[0])
    return done, stopped, said


def test_the_loop_applies_measures_stores_then_cleans_up_and_restores(tmp_path: Path) -> None:
    runtime = FakeRuntime()
    options = SweepOptions(max_active=(16, 64), repeat=2, duration_s=1.0, warmup_s=0.0)
    points = [Point(16), Point(64)]
    done, stopped, said = _run(runtime, tmp_path, options, points)
    # interleaved: every point once per round (ABAB), each put on again
    assert runtime.events == ["create", "apply active-16", "serving", "repeat 0",
                              "apply active-64", "serving", "repeat 1",
                              "apply active-16", "serving", "repeat 2",
                              "apply active-64", "serving", "repeat 3",
                              "cleanup", "restore"]
    assert stopped == "" and sorted(done) == ["active-16", "active-64"]
    stored = load_point(tmp_path, Point(64), "fp1")
    assert stored is not None and stored["env"] == {"TYK_GW_STORAGE_MAXACTIVE": "64"}
    assert [r["closed"]["rps"] for r in stored["repeats"]] == [1070.0, 1130.0]
    assert stored["summary"]["rps"]["median"] == 1100.0 and stored["complete"] is True
    assert "cleanup: a key was already gone" in said
    assert said[-1] == "restoring the stack's own gateway and pump settings"


def test_ctrl_c_in_a_repeat_still_cleans_up_and_restores(tmp_path: Path) -> None:
    runtime = FakeRuntime(fail_on={"repeat 1": KeyboardInterrupt()})
    options = SweepOptions(max_active=(16, 64), repeat=1, duration_s=1.0, warmup_s=0.0)
    with pytest.raises(KeyboardInterrupt):
        _run(runtime, tmp_path, options, [Point(16), Point(64)])
    assert runtime.events[-2:] == ["cleanup", "restore"]
    assert point_path(tmp_path, Point(16)).is_file()  # finished before the interrupt
    assert not point_path(tmp_path, Point(64)).exists()


def test_a_failed_apply_and_a_failed_cleanup_still_restore(tmp_path: Path) -> None:
    runtime = FakeRuntime(fail_on={"apply active-16": ToolError("deploy failed"),
                                   "cleanup": ToolError("gateway gone")})
    options = SweepOptions(max_active=(16,), repeat=1, duration_s=1.0, warmup_s=0.0)
    with pytest.raises(ToolError, match="gateway gone"):
        _run(runtime, tmp_path, options, [Point(16)])
    assert runtime.events == ["create", "apply active-16", "cleanup", "restore"]


def test_the_budget_stops_before_a_point_that_would_not_fit(tmp_path: Path) -> None:
    # per point: apply estimate 30 + 1 repeat x (0 warm-up + 2 x 10 s + 5 overhead) = 55 s
    runtime = FakeRuntime(apply_cost_s=50.0)
    options = SweepOptions(max_active=(16, 64), repeat=1, duration_s=10.0, warmup_s=0.0,
                           budget_s=100.0)
    done, stopped, _ = _run(runtime, tmp_path, options, [Point(16), Point(64)])
    assert list(done) == ["active-16"]
    assert stopped == "time budget 100 s reached after 50 s (1 new repeat(s) measured)."
    assert runtime.events[-2:] == ["cleanup", "restore"]
    runtime = FakeRuntime(apply_cost_s=40.0)  # 40 + 55 <= 100: the second point fits
    done, stopped, _ = _run(runtime, tmp_path / "b", options, [Point(16), Point(64)])
    assert list(done) == ["active-16", "active-64"] and stopped == ""


def _ctx(tmp_path: Path, **flags: Any) -> Any:
    from stackctl.model import build_model
    from stackctl.settings import load_settings, nested

    settings = load_settings(None, nested({"state_dir": str(tmp_path / "state"),
                                           "certs_dir": str(tmp_path / "certs"), **flags}))
    return stack_context(build_model(settings))


def test_the_engine_is_in_the_fingerprint_so_no_point_crosses_runtimes(tmp_path: Path) -> None:
    from stackctl.sweep.run import stack_identity

    options = SweepOptions()
    compose = stack_identity(_ctx(tmp_path))
    swarm = stack_identity(_ctx(tmp_path, engine="swarm"))
    assert compose["engine"] == "compose" and swarm["engine"] == "swarm"
    assert swarm["load_tasks"] == 2 and "load_tasks" not in compose
    more_tasks = stack_identity(_ctx(tmp_path, engine="swarm", **{"swarm.load_replicas": 3}))
    fps = {fingerprint(options, s) for s in (compose, swarm, more_tasks)}
    assert len(fps) == 3
    save_point(tmp_path, Point(64), {"point": Point(64).as_dict(),
                                     "fingerprint": fingerprint(options, compose),
                                     "complete": True})
    assert load_point(tmp_path, Point(64), fingerprint(options, compose)) is not None
    assert load_point(tmp_path, Point(64), fingerprint(options, swarm)) is None


def test_the_session_follows_the_engine_s_load_site(tmp_path: Path) -> None:
    from stackctl.sweep.session import SweepSession

    compose = SweepSession(_ctx(tmp_path), _ctx(tmp_path))
    swarm_ctx = _ctx(tmp_path, engine="swarm")
    swarm = SweepSession(swarm_ctx, swarm_ctx)
    assert (compose.engine, swarm.engine) == ("compose", "swarm")
    assert "front-network address" in compose.load_note(SweepOptions())
    assert "load task(s)" in swarm.load_note(SweepOptions())
    assert (compose.apply_estimate_s, compose.repeat_overhead_s) == (30.0, 8.0)
    assert (swarm.apply_estimate_s, swarm.repeat_overhead_s) == (45.0, 15.0)


# --- the swarm side's logic ------------------------------------------------------------


def test_a_point_may_change_only_gateway_and_pump() -> None:
    from stackctl.engine.swarm_recreate import beyond_pool, check_pool_only

    assert beyond_pool(["pump", "gateway"]) == []
    assert beyond_pool(["gateway", "redis-2", "cluster-init"]) == ["cluster-init", "redis-2"]
    check_pool_only(["gateway", "pump"], "p")
    with pytest.raises(ConfigError, match="redis-2"):
        check_pool_only(["gateway", "redis-2"], "p")


def _task(service: str, state: str, desired: str = "running", tid: str = "") -> Task:
    return Task(tid or f"{service}-{state}-{desired}", service, "1", "n1", desired, state)


def test_a_roll_is_settled_only_when_no_old_task_still_runs() -> None:
    from stackctl.engine.swarm_recreate import leftover_tasks

    wanted = {"gateway": 2, "pump": 1}
    settled = [_task("gateway", "running", tid="g1"), _task("gateway", "running", tid="g2"),
               _task("gateway", "shutdown", "shutdown"), _task("pump", "running"),
               _task("redis-1", "running")]
    assert leftover_tasks(settled, wanted) == {}
    stopping = [*settled, _task("gateway", "running", "shutdown", tid="old")]
    assert leftover_tasks(stopping, wanted) == {"gateway": 1}
    # scaled down from 3 to 1: two still run
    assert leftover_tasks([_task("gateway", "running", tid=f"g{i}") for i in range(3)],
                          {"gateway": 1}) == {"gateway": 2}


def test_only_services_whose_deployed_env_differs_roll() -> None:
    from stackctl.engine.swarm_recreate import rolling

    point = {"gateway": {"TYK_GW_STORAGE_MAXACTIVE": "16"}, "pump": {"TYK_PMP_X": "16"}}
    assert rolling(["gateway", "pump"], {}, point) == ["gateway", "pump"]
    # restore after a point that was rendered but never deployed: nothing rolls
    assert rolling(["gateway", "pump"], {}, {}) == []
    # a changed replica count alone is not in `changed`: no roll
    assert rolling([], {}, point) == []
    assert rolling(["gateway", "pump", "redis-1"], {"pump": point["pump"]}, point) == [
        "gateway"]


def test_env_checks_see_wrong_missing_and_stale_values() -> None:
    from stackctl.engine.swarm_recreate import env_mismatch

    seen = {"TYK_GW_STORAGE_MAXACTIVE": "64", "OTHER": "x"}
    assert env_mismatch(seen, {"TYK_GW_STORAGE_MAXACTIVE": "64"}) == {}
    assert env_mismatch(seen, {"TYK_GW_STORAGE_MAXACTIVE": "16"}) == {
        "TYK_GW_STORAGE_MAXACTIVE": "64"}
    assert env_mismatch(seen, {"TYK_GW_STORAGE_MAXIDLE": "2000"}) == {
        "TYK_GW_STORAGE_MAXIDLE": ""}
    # after restore the point's variables must be gone
    assert env_mismatch(seen, {"TYK_GW_STORAGE_MAXACTIVE": None}) == {
        "TYK_GW_STORAGE_MAXACTIVE": "64"}
    assert env_mismatch(seen, {"TYK_GW_STORAGE_MAXIDLE": None}) == {}


def test_parse_service_env() -> None:
    assert parse_env('["A=1","B=x=y","C="]\n') == {"A": "1", "B": "x=y", "C": ""}
    assert parse_env("null\n") == {}
    with pytest.raises(ToolError):
        parse_env("{not json")


def test_every_gateway_task_gets_a_key_thread() -> None:
    from stackctl.sweep.session import key_count

    assert [key_count(g, 2) for g in (1, 2, 3, 8)] == [2, 2, 3, 8]
    assert [key_count(g, 0) for g in (1, 3)] == [2, 2]  # from here: one engine per gateway


def test_a_point_in_the_overrides_file_changes_only_gateway_and_pump_specs(
        tmp_path: Path) -> None:
    from test_swarm_stackfile import files_for

    from stackctl.state import read_json
    from stackctl.swarm.render import changed_services
    from stackctl.swarm.stackfile import stack_file
    from stackctl.sweep.overrides import clear_overrides, point_env, write_overrides

    model, files = files_for(tmp_path)
    own = stack_file(model, files)
    env = point_env(Point(64, 2000))
    write_overrides(model.settings.state_dir, env)
    point = stack_file(model, files)
    assert changed_services(own, point) == ["gateway", "pump"]
    assert point["services"]["gateway"]["environment"] == env["gateway"]
    assert point["services"]["pump"]["environment"] == env["pump"]
    assert set(env["gateway"]) == {"TYK_GW_STORAGE_MAXACTIVE", "TYK_GW_STORAGE_MAXIDLE"}
    assert all(k.startswith("TYK_PMP_") for k in env["pump"])
    assert read_json(model.settings.state_dir / "env-overrides.json") == env
    clear_overrides(model.settings.state_dir)
    back = stack_file(model, files)
    assert changed_services(point, back) == ["gateway", "pump"]
    assert json.dumps(back, sort_keys=True) == json.dumps(own, sort_keys=True)


# --- steadiness and cost not measured ----------------------------------------------------


def test_steadiness_is_three_valued() -> None:
    from stackctl.sweep.stats import stable

    assert stable([True, True]) is True
    assert stable([True, None]) is None
    assert stable([None, False, False]) is None
    assert stable([]) is None
    # a drop in some repeats is noise; in every one of them, the stack's
    assert stable([True, False, True]) is True and stable([False, True]) is True
    assert stable([False, True, False]) is True
    assert stable([False, False, False]) is False and stable([False]) is False


def test_unmeasured_cost_and_steadiness_are_said_not_zero() -> None:
    from stackctl.sweep.report import build_report, render_markdown
    from stackctl.sweep.stats import summarize_repeats

    points = []
    for size, rps in ((16, 1000.0), (64, 1500.0)):
        repeats = [_figures(rps, None), _figures(rps, None)]
        summary = summarize_repeats(repeats)
        assert summary["stable"] is None and summary["redis_commands_per_request"] is None
        points.append({"point": {"max_active": size, "max_idle": None},
                       "label": f"max_active={size}", "summary": summary,
                       "repeats": repeats})
    meta = {"project": "u", "release": "v5.8.0", "gateways": 1, "complete": True,
            "stopped": "", "engine": "swarm", "load": "wrk from 2 load task(s)",
            "maxclients": {"live": 10000, "setting": 10000, "used": 10000, "source": "live"},
            "options": {"connections": 8, "duration_s": 2.0, "warmup_s": 0.0, "rate": 50.0,
                        "repeat": 2}}
    report = build_report(points, meta)
    assert report["recommendation"]["max_active"] == 64  # not excluded as unstable
    assert report["recommendation"]["lines"][0].startswith(
        "steadiness not measured for max_active 16, 64")
    md = render_markdown(report)
    row = next(line for line in md.splitlines() if line.startswith("| 64 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[11:16] == ["-", "-", "-", "-", "not measured"], cells
    assert "x 1 on swarm; load: wrk from 2 load task(s)" in md


def test_a_swarm_repeat_says_what_was_not_measured_and_judges_what_was() -> None:
    from collections import Counter

    from stackctl.load.plan import LoadResult
    from stackctl.load.stats import Slice
    from stackctl.sweep.loadrun import RunFigures
    from stackctl.sweep.measure import Closed, repeat_figures

    tasks = [LoadResult("wrk", [Counter({200: 3000}), Counter({200: 2990, 500: 10})],
                        {"p50": 1.0 + i, "p99": 9.0 + i}, 2.0, 0.0, 2.0, False)
             for i in range(2)]
    fixed = RunFigures("builtin", 100, 50.0, 2.0, 5.0, 0, 0)
    clients = [NodeClients("redis-1", 7, 10000), NodeClients("redis-4", 3, 10000)]
    unmetered = repeat_figures(Closed(tasks, [], None, "the load tasks took 3.0 s to start"),
                               fixed, 2, clients, 2)
    assert unmetered["closed"]["requests"] == 12000 and unmetered["closed"]["rps"] == 6000.0
    assert unmetered["closed"]["p99_ms"] == 10.0 and unmetered["closed"]["non_2xx"] == 20
    assert [t["requests"] for t in unmetered["load_tasks"]] == [6000, 6000]
    assert unmetered["steady"]["passed"] is None
    assert unmetered["gateway_cpu_us_per_request"] is None
    assert unmetered["saturated"] == "not measured (the load tasks took 3.0 s to start)"
    assert unmetered["pool_timeouts"] == 2 and unmetered["maxclients_live"] == 10000
    falling = [Slice(i, i + 1.0, n, float(n), None) for i, n in
               enumerate((1000, 1000, 950, 900, 800))]
    judged = repeat_figures(Closed(tasks, falling, None, ""), fixed, 0, clients, 2)
    assert judged["steady"]["passed"] is False and "x0.80" in judged["steady"]["detail"]
    flat = [Slice(i, i + 1.0, 1000, 1000.0, None) for i in range(5)]
    assert repeat_figures(Closed(tasks, flat, None, ""), fixed, 0, clients, 2)["steady"][
        "passed"]
    from stackctl.meter.cost import Cost

    spent = Cost(seconds=1.5, requests=9000, cores=2, pool_timeouts=0,
                 gateway_cpu_us_per_request=210.0, gateway_cores=0.9,
                 gateway_memory_mib=61.0, redis_commands_per_request=1.2,
                 redis_commands_per_node={}, redis_top_commands=(),
                 redis_cores_per_node={}, new_connections_per_request=0.001,
                 time_wait_upstream=3, loadgen_cores=0.6, loadgen_cpu_us_per_request=90.0,
                 machine_busy_pct=97.0, shares_pct={}, saturated="machine", reasons=())
    costed = repeat_figures(Closed(tasks, flat, spent, ""), fixed, 0, clients, 2)
    assert costed["saturated"] == "machine" and costed["gateway_cpu_us_per_request"] == 210.0
    assert costed["gateway_mem_mib"] == 61.0
    assert costed["cost"]["redis_commands_per_request"] == 1.2
