"""The swarm smoke's own logic: the analytics baseline settles before the load, the
report shows the cost and who saturated next to the throughput, and a run too short to
judge says so instead of failing or passing."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.load.plan import LoadResult, SliceCounts
from stackctl.meter.cost import Cost
from stackctl.smoke import swarm_run
from stackctl.smoke.swarm_run import SwarmSmokeReport, settled

pytestmark = pytest.mark.unit


def test_settled_waits_until_two_reads_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(swarm_run.time, "sleep", lambda s: None)
    reads = iter([5, 7, 9, 9, 12])
    assert settled(lambda: next(reads), 1.0) == 9
    moving = iter(range(100))
    assert settled(lambda: next(moving), 1.0, tries=3) == 3  # bounded: the last read


def _cost() -> Cost:
    return Cost(seconds=4.0, requests=10_000, cores=2, pool_timeouts=0,
                gateway_cpu_us_per_request=250.0, gateway_cores=0.6,
                gateway_memory_mib=80.0, redis_commands_per_request=3.0,
                redis_commands_per_node={"redis-1": 1.0}, redis_top_commands=(("evalsha", 2.0),),
                redis_cores_per_node={"redis-1": 0.2}, new_connections_per_request=0.001,
                time_wait_upstream=3, loadgen_cores=0.3, loadgen_cpu_us_per_request=120.0,
                machine_busy_pct=95.0, shares_pct={"gateway": 30.0}, saturated="machine",
                reasons=("the machine was 95% busy",))


def test_report_shows_cost_and_saturation_next_to_throughput() -> None:
    report = SwarmSmokeReport(2, 16, 10.0, requests=50_000, rps=5_000.0,
                              latencies_ms={"p50": 2.0, "p99": 40.0}, cost=_cost())
    report.check("steady", True, "x")
    assert "250 µs CPU/request, saturated: machine" in report.summary()
    data = report.as_dict()
    assert data["cost"]["gateway_cpu_us_per_request"] == 250.0
    assert data["cost"]["saturated"] == "machine" and data["passed"]
    assert any("saturated: machine" in line for line in data["cost_lines"])
    assert data["not_checked_on_swarm"] == []
    bare = SwarmSmokeReport(2, 16, 3.0, unmetered="the run is shorter than 5 s")
    assert bare.cost_lines() == ["cost not measured: the run is shorter than 5 s"]


def test_a_short_run_lists_the_load_checks_as_not_judged() -> None:
    report = SwarmSmokeReport(2, 4, 3.0)
    swarm_run._load_checks(report, None, [], None, judged=False)
    assert report.checks == [] and len(report.not_checked) == 3
    assert all("shorter than 5 s" in n for n in report.not_checked)


class FakeMeter:
    """Stands in for SwarmMeter: a fixed cost."""

    def cost(self, tasks: list[Any]) -> tuple[Cost | None, str]:
        return _cost(), ""


def test_load_checks_judge_steady_and_reuse_from_the_merged_run() -> None:
    merged = LoadResult("wrk x 2 tasks", [], {}, 10.0, 0.0, 10.0, False,
                        answers=SliceCounts(0.0, 0.1, (100,) * 40 + (40,) * 10))
    report = SwarmSmokeReport(2, 16, 10.0)
    swarm_run._load_checks(report, merged, [], FakeMeter(), judged=True)
    by_name = {c["name"]: c for c in report.checks}
    assert not by_name["steady"]["passed"] and "x0.40" in by_name["steady"]["detail"]
    assert "over the 5.0 s every load task ran" in by_name["steady"]["detail"]
    assert by_name["connection-reuse"]["passed"]
    assert len(report.fifths) == 5 and report.cost is not None


def test_per_second_rebins_the_merged_slices() -> None:
    counts = SliceCounts(0.0, 0.1, (1,) * 25)
    assert swarm_run.per_second(counts) == [10, 10, 5]
    assert swarm_run.per_second(None) == []
