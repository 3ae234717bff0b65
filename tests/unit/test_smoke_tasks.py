"""The smoke's logic for loads from the swarm's load tasks, on the one report: the
analytics baseline settles before the load; the summary shows the tasks, the cost and
who saturated; the steady check reads the tasks' merged answers per slice of time; every
task must report; an unread sink is listed as not checked (never a pass); a run too
short to meter says why."""

from __future__ import annotations

from collections import Counter

import pytest
from pydantic import SecretStr

from stackctl.cluster.access import parse_keys as parse_probe
from stackctl.engine.base import LoadApi, LoadSite
from stackctl.load.keys import SmokeKey, SmokeSetup
from stackctl.load.plan import LoadResult, SliceCounts
from stackctl.meter.cost import Cost
from stackctl.smoke import run as smoke_run
from stackctl.smoke.options import SmokeOptions
from stackctl.smoke.report import build_report
from stackctl.smoke.run import load_way, settled
from stackctl.tyk import lookup

pytestmark = pytest.mark.unit

T0 = 1_800_000_010.0


def test_settled_waits_until_two_reads_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smoke_run.time, "sleep", lambda s: None)
    reads = iter([5, 7, 9, 9, 12])
    assert settled(lambda: next(reads), 1.0) == 9
    moving = iter(range(100))
    assert settled(lambda: next(moving), 1.0, tries=3) == 3  # bounded: the last read


def test_the_load_runs_where_the_engine_places_wrk_and_builtin_always_here() -> None:
    here = LoadSite(0, "http://127.0.0.1:8080", LoadApi(own=True))
    tasks = LoadSite(2, "http://gateway:8080", LoadApi(own=False))
    assert load_way(here, None) == smoke_run.LoadWay("builtin", 0)
    assert load_way(here, "wrk") == smoke_run.LoadWay("wrk", 0)
    assert load_way(tasks, None) == smoke_run.LoadWay("wrk", 2)
    assert load_way(tasks, "builtin") == smoke_run.LoadWay("builtin", 0)


def _cost() -> Cost:
    return Cost(seconds=4.0, requests=10_000, cores=2, pool_timeouts=0,
                gateway_cpu_us_per_request=250.0, gateway_cores=0.6,
                gateway_memory_mib=80.0, redis_commands_per_request=3.0,
                redis_commands_per_node={"redis-1": 1.0}, redis_top_commands=(("evalsha", 2.0),),
                redis_cores_per_node={"redis-1": 0.2}, new_connections_per_request=0.001,
                time_wait_upstream=3, loadgen_cores=0.3, loadgen_cpu_us_per_request=120.0,
                machine_busy_pct=95.0, shares_pct={"gateway": 30.0}, saturated="machine",
                reasons=("the machine was 95% busy",))


def _task(requests: int, answers: SliceCounts | None = None) -> LoadResult:
    return LoadResult("wrk", [Counter({429: requests // 10}), Counter({200: requests})],
                      {"p50": 2.0, "p95": 8.0, "p99": 40.0}, 10.0, T0, T0 + 10.0, False,
                      answers=answers)


def _report(merged: LoadResult, per_task: list[LoadResult], **kw: object) -> object:
    keys = (SmokeKey(SecretStr("k0"), "aa", 10, 60.0, True),
            SmokeKey(SecretStr("k1"), "bb", 1_000_000, 60.0, False))
    made = SmokeSetup("stackctl-smoke", "/smoke/", keys)
    sample = [parse_probe("redis-1", "## role\nmaster\n## keys\napikey-aa\napikey-bb\n")]
    args: dict[str, object] = {
        "options": SmokeOptions(duration_s=10), "rate": 0.0, "made": made, "result": merged,
        "redis_samples": [sample], "hello": ["pass", "pass"], "unauthorized": [401, 403],
        "served": merged.requests + 3, "delivered": merged.requests + 3, "waited_s": 0.5,
        "cleanup_problems": [], "limiter": lookup.rate_limiter("default"), "cost": _cost(),
        "per_task": per_task, "tasks": 2}
    args.update(kw)
    return build_report(**args)  # type: ignore[arg-type]


def test_report_shows_tasks_cost_and_saturation_next_to_throughput() -> None:
    steady = SliceCounts(0.0, 0.1, (100,) * 50)
    report = _report(_task(2000, steady), [_task(1000), _task(1000)])
    summary = report.summary()  # type: ignore[attr-defined]
    assert "from 2 load tasks" in summary and "saturated: machine" in summary
    data = report.as_dict()  # type: ignore[attr-defined]
    assert data["load_tasks"] == 2 and len(data["per_task_rps"]) == 2
    assert data["cost"]["gateway_cpu_us_per_request"] == 250.0
    assert any("saturated: machine" in line for line in data["cost_lines"])
    assert data["not_checked"] == []
    checks = {c["name"]: c for c in data["checks"]}
    assert checks["load-tasks"]["passed"] and checks["steady"]["passed"]
    assert len(data["fifths"]) == 5


def test_steady_is_judged_from_the_tasks_merged_answers() -> None:
    slowing = SliceCounts(0.0, 0.1, (100,) * 40 + (40,) * 10)
    data = _report(_task(2000, slowing), [_task(1000), _task(1000)]).as_dict()  # type: ignore[attr-defined]
    steady = next(c for c in data["checks"] if c["name"] == "steady")
    assert not steady["passed"] and "x0.40" in steady["detail"]


def test_a_task_that_did_not_report_fails_the_run() -> None:
    data = _report(_task(2000, None), [_task(1000)]).as_dict()  # type: ignore[attr-defined]
    tasks = next(c for c in data["checks"] if c["name"] == "load-tasks")
    assert not tasks["passed"] and "1 of 2 tasks reported" in tasks["detail"]
    assert data["passed"] is False


def test_an_unread_sink_is_not_checked_and_a_short_run_says_why() -> None:
    data = _report(_task(200, None), [_task(100), _task(100)], delivered=None, cost=None,
                   unmetered="the run is shorter than 5 s",
                   not_checked=["analytics delivered: the pump's sink cannot be read from "
                                "this machine"]).as_dict()  # type: ignore[attr-defined]
    names = {c["name"]: c for c in data["checks"]}
    assert "analytics" not in names and data["not_checked"][0].startswith("analytics")
    assert not names["connection-reuse"]["passed"]
    assert "shorter than 5 s" in names["connection-reuse"]["detail"]
    assert data["cost_lines"] == [] and data["unmetered"] == "the run is shorter than 5 s"


def test_wrk_holds_a_connection_per_key_in_every_task() -> None:
    from stackctl.smoke.run import LoadWay, in_flight

    assert in_flight(LoadWay("builtin", 0), 16, 18) == 16
    assert in_flight(LoadWay("wrk", 0), 16, 18) == 18  # a thread, and a connection, per key
    assert in_flight(LoadWay("wrk", 0), 64, 18) == 64
    assert in_flight(LoadWay("wrk", 2), 8, 18) == 36  # each task: every key
    assert in_flight(LoadWay("wrk", 2), 100, 18) == 100
