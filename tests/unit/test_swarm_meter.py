"""The swarm meter: which containers it reads (one `docker ps`), where each node's INFO
runs, when the first snapshot is taken, what the metered stretch cost (answers counted
between the snapshots, wrk's CPU pro rata), and the load tasks' merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from stackctl.load.plan import LoadResult, SliceCounts
from stackctl.meter import snapshot
from stackctl.meter.commandstats import TARGET_ENV
from stackctl.meter.snapshot import Snapshot, read_snapshot
from stackctl.model import build_model
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.swarm import parse_local_tasks
from stackctl.runtime.usage import CgroupUsage, ContainerUsage, HostCpu, TcpCounters, Unavailable
from stackctl.settings import Settings
from stackctl.swarm import meter as sm
from stackctl.swarm.load import merge

pytestmark = pytest.mark.unit

FIX = Path(__file__).parent / "fixtures" / "meter"
MODEL = build_model(Settings(engine="swarm"))
PS = ("st_gateway.1.abc\tst_gateway\nst_gateway.2.def\tst_gateway\nst_redis-1.1.x\tst_redis-1\n"
      "st_redis-2.1.y\tst_redis-2\nst-access\t\nother_gateway.1.z\tother_gateway\n")


def test_parse_local_tasks_groups_this_stacks_containers_by_service() -> None:
    assert parse_local_tasks(PS, "st") == {
        "gateway": ["st_gateway.1.abc", "st_gateway.2.def"],
        "redis-1": ["st_redis-1.1.x"], "redis-2": ["st_redis-2.1.y"]}


class FakeStack:
    """Stands in for runtime.swarm.Stack: a fixed `docker ps`, recorded execs answering
    with a real node's INFO."""

    def __init__(self) -> None:
        self.execs: list[tuple[str, dict[str, str]]] = []
        self.logs_read: list[tuple[str, float | None]] = []
        self.info = (FIX / "primary_info_replication_commandstats.txt").read_text()

    def local_tasks(self) -> dict[str, list[str]]:
        return parse_local_tasks(PS, "st")

    def exec(self, container: str, command: Sequence[str],
             env: Mapping[str, str] | None = None) -> ExecResult:
        self.execs.append((container, dict(env or {})))
        return ExecResult(0, self.info, "")

    def container_log(self, container: str, since: float | None = None) -> str:
        self.logs_read.append((container, since))
        return "x\nredis: connection pool timeout\n"


def test_source_reads_local_tasks_and_routes_each_node(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    asked: list[tuple[list[str], list[str]]] = []

    def fake_usage(names: list[str], netns: list[str]) -> dict[str, Any]:
        asked.append((names, list(netns)))
        return {n: ContainerUsage(n, n, CgroupUsage(10**9, 2**20, 2)) for n in names}

    monkeypatch.setattr(snapshot, "container_usage", fake_usage)
    stack = FakeStack()
    monkeypatch.setattr(sm, "exec_bounded", stack.exec)  # docker exec in a task container
    source = sm.SwarmSource(stack, MODEL)  # type: ignore[arg-type]
    snap = read_snapshot(source, lambda: 0.0)
    gateways = ["st_gateway.1.abc", "st_gateway.2.def"]
    assert asked == [([*gateways, "st_redis-1.1.x", "st_redis-2.1.y"], gateways)]
    assert sorted(snap.gateways) == gateways
    assert isinstance(snap.nodes["redis-1"], ContainerUsage)
    away = snap.nodes["redis-3"]
    assert isinstance(away, Unavailable) and "another node" in away.reason
    # every node's INFO was read: its own container, else redis-1's by the node's name
    by_target = {env.get(TARGET_ENV, container) for container, env in stack.execs}
    assert by_target == {"st_redis-1.1.x", "st_redis-2.1.y",
                         *(n.addr for n in MODEL.nodes[2:])}
    assert all(c == "st_redis-1.1.x" for c, env in stack.execs if TARGET_ENV in env)
    assert set(snap.commands) == {n.name for n in MODEL.nodes}
    # pool timeouts: each local gateway task's log since the meter started
    assert sm.pool_timeouts(stack, 12.5) == 2  # type: ignore[arg-type]
    assert stack.logs_read == [("st_gateway.1.abc", 12.5), ("st_gateway.2.def", 12.5)]


def test_first_snapshot_waits_into_the_run_or_gives_up() -> None:
    assert sm.first_snapshot_delay(100.0, 101.0, 20.0) == pytest.approx(5.0)
    assert sm.first_snapshot_delay(100.0, 103.0, 5.0) is None  # first task ends at 105
    assert sm.first_snapshot_delay(100.0, 100.5, 5.0) == pytest.approx(1.25)


def _snap(at: float, gw_cpu_s: float, opens: int, received: int, loadgen: float = 0.0
          ) -> Snapshot:
    gw = ContainerUsage("gw", "g1", CgroupUsage(int(gw_cpu_s * 1e9), 2**26, 2),
                        TcpCounters(opens, 0, 0, {}))
    return Snapshot(at, 0.1, {"gw": gw}, {"redis-1": ContainerUsage(
        "r1", "r1", CgroupUsage(0, 0, 2))}, {"redis-1": {"evalsha": 0}},
        HostCpu(0, 0, 100, 2), loadgen, {"redis-1": received})


def _task(start: float, per_slice: int, cpu: float | None) -> LoadResult:
    return LoadResult("wrk", [Counter({200: per_slice * 100})], {"p99": 1.0}, 10.0, start,
                      start + 10, False, answers=SliceCounts(start, 0.1, (per_slice,) * 100),
                      engine_cpu_s=cpu)


def test_cost_counts_the_answers_between_the_snapshots(monkeypatch: pytest.MonkeyPatch
                                                       ) -> None:
    meter = sm.SwarmMeter(None, MODEL, 10.0)  # type: ignore[arg-type]
    before, after = _snap(50.0, 1.0, 100, 40), _snap(54.0, 3.0, 104, 45)
    meter.before, meter.after = before, after
    walls = {50.0: 1002.0, 54.0: 1006.0}
    monkeypatch.setattr(sm, "wall_of", lambda s: walls[s.at])
    tasks = [_task(1000.0, 10, 1.0), _task(1001.0, 5, 2.0)]
    spent, partial = meter.cost(tasks)
    assert spent is not None
    # 4 s metered: task a 40 slices x 10, task b 40 slices x 5
    assert spent.requests == 600
    assert spent.gateway_cpu_us_per_request == pytest.approx(2e6 / 600)
    assert spent.new_connections_per_request == pytest.approx(4 / 600)
    assert spent.redis_connections_per_request == pytest.approx(4 / 600)  # 5 less the read
    # wrk's 3 s of CPU over 1,500 answers; 600 of them metered over 4 s
    assert spent.loadgen_cores == pytest.approx(3.0 * 600 / 1500 / 4.0)
    assert partial == ""
    away = Unavailable("redis-2: its task runs on another node (not metered)")
    meter.after = Snapshot(54.0, 0.1, {}, {"redis-2": away}, {}, HostCpu(0, 0, 100, 2), 0.0)
    assert meter.partial() == ("Redis nodes redis-2 run on other nodes: their CPU is not "
                               "metered (their commands are); 0 of 1 gateway tasks run on "
                               "this node: gateway CPU and new connections per request "
                               "count those only; machine busy is this node's")
    unsliced = [_task(1000.0, 10, 1.0), LoadResult("wrk", [], {}, 1.0, 0, 1, False)]
    assert meter.cost(unsliced) == (None, "a load task reported no answers per slice of time")
    assert sm.SwarmMeter(None, MODEL, 10.0, problem="x").cost(tasks) == (  # type: ignore[arg-type]
        None, "x")


def test_merge_sums_slices_over_the_common_span_and_cpu() -> None:
    a, b = _task(1000.0, 10, 1.0), _task(1000.5, 5, 2.0)
    merged = merge([a, b])
    assert merged.answers is not None and merged.answers.start == pytest.approx(1000.6)
    assert set(merged.answers.counts) == {15}
    assert merged.engine_cpu_s == pytest.approx(3.0)
    assert merge([a, _task(1000.0, 1, None)]).engine_cpu_s is None
