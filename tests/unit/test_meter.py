"""meter: commandstats parsing (a real node's INFO), the Cost arithmetic, each saturation
rule in order, the unavailable cases, the report forms and a Compose snapshot's wiring."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from stackctl.engine.compose import ComposeSource
from stackctl.meter import (
    CHURN_MAX,
    SATURATIONS,
    Cost,
    Snapshot,
    cost,
    loadgen,
    snapshot,
)
from stackctl.meter import commandstats as cs
from stackctl.runtime.docker_cli import ExecResult
from stackctl.runtime.usage import (
    CgroupUsage,
    ContainerUsage,
    HostCpu,
    TcpCounters,
    Unavailable,
)

pytestmark = pytest.mark.unit

FIX = Path(__file__).parent / "fixtures" / "meter"
NODES = ("redis-1", "redis-2")
S = 10**9  # ns per second


def test_parse_commandstats_reads_a_real_node() -> None:
    calls = cs.parse_commandstats((FIX / "redis_commandstats.txt").read_text())
    assert calls["rpush"] == 10877 and calls["cluster|slots"] == 5
    assert calls["command|docs"] == 59
    assert len(calls) == 24
    assert cs.parse_commandstats("# Commandstats\r\nnot a stat\r\n") == {}


@pytest.mark.parametrize(("command", "probe"), [
    ("info", True), ("config|get", True), ("client|setname", True), ("scan", True),
    ("role", True), ("command|docs", True), ("command", False), ("evalsha", False),
    ("cluster|slots", False), ("get", False)])
def test_is_probe(command: str, probe: bool) -> None:
    assert cs.is_probe(command) is probe


def _gw(cpu_s: float, opens: int, time_wait_80: int = 0, mem: int = 64 * 2**20,
        cid: str = "g1") -> ContainerUsage:
    tcp = TcpCounters(opens, 0, time_wait_80 + 7, {80: time_wait_80, 6379: 7})
    return ContainerUsage("stack-gateway-1", cid, CgroupUsage(int(cpu_s * S), mem, 1), tcp)


def _node(name: str, cpu_s: float) -> ContainerUsage:
    return ContainerUsage(name, name, CgroupUsage(int(cpu_s * S), 8 * 2**20, 1))


def _snap(at: float, gw: Any, nodes_cpu: tuple[float, float], calls: tuple[Any, Any],
          busy: int, total: int, loadgen_s: float) -> Snapshot:
    return Snapshot(
        at=at, took_s=0.3, gateways={"gateway": gw},
        nodes={n: _node(n, c) for n, c in zip(NODES, nodes_cpu, strict=True)},
        commands=dict(zip(NODES, calls, strict=True)),
        host=HostCpu(busy, total, 100, 2), loadgen_cpu_s=loadgen_s)


BEFORE_CALLS = ({"evalsha": 100, "info": 5}, {"get": 10, "config|get": 1})


def _pair(gw_cpu: float = 4.0, opens: int = 20, redis_cpu: tuple[float, float] = (1, 2),
          loadgen_s: float = 2.0, busy: int = 1000, requests: int = 10_000,
          pool_timeouts: int = 0, after_calls: tuple[Any, Any] | None = None) -> Cost:
    """10 s between two snapshots on 2 cores (2,000 ticks); figures relative to before."""
    before = _snap(100.0, _gw(10, 1000), (5, 5), BEFORE_CALLS, 5000, 20000, 1.0)
    calls = after_calls or ({"evalsha": 20_100, "info": 9, "get": 5_000},
                            {"get": 10_010, "config|get": 3})
    after = _snap(110.0, _gw(10 + gw_cpu, 1000 + opens, time_wait_80=12), (
        5 + redis_cpu[0], 5 + redis_cpu[1]), calls, 5000 + busy, 22000, 1.0 + loadgen_s)
    return cost(before, after, requests, pool_timeouts)


def test_cost_arithmetic() -> None:
    c = _pair()
    assert c.seconds == pytest.approx(10.0)
    assert c.gateway_cpu_us_per_request == pytest.approx(400.0)  # 4 s / 10,000
    assert c.gateway_cores == pytest.approx(0.4)
    assert c.gateway_memory_mib == pytest.approx(64.0)
    # evalsha 20,000 + get 5,000 + get 10,000 (info and config left out)
    assert c.redis_commands_per_request == pytest.approx(3.5)
    assert c.redis_commands_per_node == pytest.approx({"redis-1": 2.5, "redis-2": 1.0})
    assert c.redis_top_commands == (("evalsha", 2.0), ("get", 1.5))
    assert c.redis_cores_per_node == pytest.approx({"redis-1": 0.1, "redis-2": 0.2})
    assert c.redis_cores_max == pytest.approx(0.2)
    assert c.new_connections_per_request == pytest.approx(0.002)
    assert c.time_wait_upstream == 12
    assert c.loadgen_cores == pytest.approx(0.2)
    assert c.loadgen_cpu_us_per_request == pytest.approx(200.0)
    assert c.machine_busy_pct == pytest.approx(50.0)  # 1,000 of 2,000 ticks
    # of 20 core-seconds: gateway 4, Redis 3, load generator 2, other 10 - 9
    assert c.shares_pct == pytest.approx(
        {"gateway": 20.0, "redis": 15.0, "load-generator": 10.0, "other": 5.0})
    assert (c.saturated, c.unavailable) == ("none", ())
    assert c.reasons[0].startswith("no limit reached: 0.002 new connections/request")


@pytest.mark.parametrize(("kwargs", "verdict", "figure"), [
    ({"pool_timeouts": 3}, "redis-pool", "3 Redis pool timeouts"),
    ({"opens": 600}, "upstream-connections", "0.060 new connections per request"),
    ({"redis_cpu": (0.5, 9.0)}, "redis", "redis-2 used 0.90 core"),
    ({"loadgen_s": 9.5}, "load-generator", "used 0.95 core"),
    ({"gw_cpu": 18.0}, "gateway-cpu", "1.80 of 2 cores"),
    ({"busy": 1900}, "machine", "95% busy (at least 90%): gateway 20%, Redis 15%, "
                                "load generator 10%, other 50%"),
])
def test_each_saturation_rule(kwargs: dict[str, Any], verdict: str, figure: str) -> None:
    c = _pair(**kwargs)
    assert c.saturated == verdict
    assert len(c.reasons) == 1 and figure in c.reasons[0]
    assert f"- {c.reasons[0]}" in c.lines()


def test_rules_apply_in_order_and_every_holding_rule_is_explained() -> None:
    c = _pair(pool_timeouts=1, opens=600, redis_cpu=(9.5, 0), loadgen_s=9.5, gw_cpu=18,
              busy=2000)
    assert c.saturated == "redis-pool"
    assert len(c.reasons) == 6
    order = [SATURATIONS.index(v) for v in ("redis-pool", "upstream-connections")]
    assert order == [0, 1]
    assert _pair(opens=int(CHURN_MAX * 10_000)).saturated == "none"  # at the limit: fine


def test_as_dict_is_json_and_rounded() -> None:
    data = _pair(gw_cpu=4.123456).as_dict()
    json.dumps(data)
    assert data["gateway_cpu_us_per_request"] == 412.3
    assert data["redis_top_commands"] == [["evalsha", 2.0], ["get", 1.5]]
    assert data["saturated"] == "none" and isinstance(data["reasons"], list)


def test_lines() -> None:
    lines = _pair().lines()
    assert lines == [
        "gateway 400 µs CPU/request (0.40 cores), 64 MiB",
        "Redis 3.5 commands/request (redis-1 2.5, redis-2 1.0): evalsha 2.00, get 1.50; "
        "busiest node 0.20 cores",
        "new connections 0.002/request; 12 TIME_WAIT to upstream",
        "load generator 0.20 cores (200 µs/request)",
        "machine 50% busy (gateway 20%, Redis 15%, load generator 10%, other 5%); "
        "saturated: none",
    ]


def test_no_requests_gives_no_per_request_figures() -> None:
    c = _pair(requests=0)
    assert c.gateway_cpu_us_per_request is None and c.redis_commands_per_request is None
    assert c.new_connections_per_request is None and c.gateway_cores == pytest.approx(0.4)
    assert "? µs CPU/request" in c.lines()[0]


def test_unavailable_readings_are_named_not_raised() -> None:
    before = _snap(0.0, _gw(1, 10), (1, 1), BEFORE_CALLS, 0, 100, 0.0)
    after = Snapshot(
        at=10.0, took_s=0.3, gateways={"gateway": Unavailable("no container stack-gw-1")},
        nodes={"redis-1": _node("redis-1", 2),
               "redis-2": ContainerUsage("r2", "other-id", CgroupUsage(S, 0, 1))},
        commands={"redis-1": {"evalsha": 150}, "redis-2": Unavailable("redis-2: no answer")},
        host=Unavailable("/proc/stat: gone"), loadgen_cpu_s=1.0)
    c = cost(before, after, 100)
    assert c.gateway_cpu_us_per_request is None and c.time_wait_upstream is None
    assert c.redis_cores_per_node == pytest.approx({"redis-1": 0.1})
    assert c.redis_commands_per_node == {"redis-1": 0.5}
    assert c.redis_commands_per_request is None  # a node missing: no total
    assert c.machine_busy_pct is None and c.shares_pct == {}
    assert "no container stack-gw-1" in c.unavailable
    assert "redis-2: container restarted between the snapshots" in c.unavailable
    assert "redis-2: no answer" in c.unavailable
    assert "host CPU: /proc/stat: gone" in c.unavailable
    assert c.lines()[-1].startswith("unavailable: no container stack-gw-1")


def test_reset_counters_and_restarted_gateway_are_unavailable() -> None:
    c = _pair(after_calls=({"evalsha": 50}, {"get": 20}))
    assert "redis-1: command counters reset between the snapshots" in c.unavailable
    assert c.redis_commands_per_node == pytest.approx({"redis-2": 0.001})
    before = _snap(0.0, _gw(10, 10), (1, 1), BEFORE_CALLS, 0, 100, 0.0)
    after = _snap(10.0, _gw(2, 5, cid="g2"), (2, 2), BEFORE_CALLS, 50, 200, 1.0)
    restarted = cost(before, after, 100)
    assert restarted.gateway_cores is None and restarted.new_connections_per_request is None
    assert restarted.unavailable == ("gateway: container restarted between the snapshots",)


class _FakeCompose:
    def __init__(self) -> None:
        self.execs: list[str] = []

    def container(self, service: str, index: int = 1) -> str:
        return f"stack-{service}-{index}"

    def exec(self, service: str, command: list[str], env: dict[str, str] | None = None
             ) -> ExecResult:
        self.execs.append(service)
        if service == "redis-2":
            return ExecResult(1, "", "Error: container is not running\n")
        return ExecResult(0, (FIX / "redis_commandstats.txt").read_text(), "")


class _FakeNode:
    def __init__(self, name: str) -> None:
        self.name = name


class _FakeModel:
    nodes = (_FakeNode("redis-1"), _FakeNode("redis-2"))


def test_compose_snapshot_reads_nodes_and_containers(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[list[str], list[str]]] = []

    def fake_usage(names: list[str], netns: list[str]) -> dict[str, Any]:
        asked.append((names, list(netns)))
        return {n: _node(n, 1) for n in names}

    monkeypatch.setattr(snapshot, "container_usage", fake_usage)
    compose = _FakeCompose()
    source = ComposeSource(compose, _FakeModel(), ["gateway"])  # type: ignore[arg-type]
    snap = snapshot.read_snapshot(source, lambda: 4.5)
    assert asked == [(["stack-gateway-1", "stack-redis-1-1", "stack-redis-2-1"],
                      ["stack-gateway-1"])]
    assert set(snap.gateways) == {"gateway"} and set(snap.nodes) == set(NODES)
    assert sorted(compose.execs) == list(NODES)
    ok, failed = snap.commands["redis-1"], snap.commands["redis-2"]
    assert not isinstance(ok, Unavailable) and ok["rpush"] == 10877
    assert failed == Unavailable("redis-2: INFO commandstats: Error: container is not running")
    assert snap.loadgen_cpu_s == 4.5 and not isinstance(snap.host, Unavailable)


def test_loadgen_cpu_helpers_move_with_work() -> None:
    start = loadgen.self_cpu_seconds()
    sum(i * i for i in range(300_000))
    assert loadgen.self_cpu_seconds() > start
    assert loadgen.children_cpu_seconds() >= 0.0
    assert loadgen.self_and_children_cpu_seconds() >= loadgen.self_cpu_seconds() - 1e-3


class _RoleNode:
    """A fake compose whose every node answers with one recorded INFO text."""

    def __init__(self, fixture: str) -> None:
        self.text = (FIX / fixture).read_text()

    def exec(self, service: str, command: list[str], env: dict[str, str] | None = None
             ) -> ExecResult:
        return ExecResult(0, self.text, "")


def test_a_replica_contributes_no_commands_its_primary_does() -> None:
    """A replica's commandstats count the writes it replays (recorded on this machine:
    rpush on a replica): adding them would count every write twice."""
    replica = (FIX / "replica_info_replication_commandstats.txt").read_text()
    assert "role:slave" in replica and cs.parse_commandstats(replica).get("rpush", 0) > 0
    assert cs.read_node_counts(_RoleNode("replica_info_replication_commandstats.txt").exec,
                               "redis-4")[0] == {}
    primary = cs.read_node_counts(_RoleNode("primary_info_replication_commandstats.txt").exec,
                                  "redis-1")[0]
    assert not isinstance(primary, Unavailable) and primary.get("rpush", 0) > 0


def test_connections_received_come_with_the_commands_of_a_real_node() -> None:
    """INFO replication stats commandstats, recorded on this machine (a swarm stack's
    primary and replica right after a smoke)."""
    primary = _RoleNode("primary_info_replication_stats_commandstats.txt")
    replica = _RoleNode("replica_info_replication_stats_commandstats.txt")
    calls, received = cs.read_node_counts(primary.exec, "redis-1")
    assert received == 27 and not isinstance(calls, Unavailable) and calls["rpush"] > 0
    assert cs.read_node_counts(replica.exec, "redis-4") == ({}, 20)
    assert cs.parse_connections_received("# Stats\r\ntotal_connections_received:x\r\n") is None


def test_redis_connections_per_request_leave_out_the_meters_own_reads() -> None:
    before, after = _snap(0.0, _gw(1.0, 0), (0, 0), BEFORE_CALLS, 0, 1000, 0.0), \
        _snap(10.0, _gw(2.0, 0), (1, 1), BEFORE_CALLS, 500, 2000, 0.0)
    with_counts = cost(replace(before, connections_received={"redis-1": 10, "redis-2": 5}),
                       replace(after, connections_received={"redis-1": 31, "redis-2": 6}),
                       100)
    assert with_counts.redis_connections_per_request == pytest.approx((20 + 0) / 100)
    assert "Redis received 0.200/request" in " ".join(with_counts.lines())
    one_missing = cost(replace(before, connections_received={"redis-1": 10}),
                       replace(after, connections_received={"redis-1": 31, "redis-2": 6}), 100)
    assert one_missing.redis_connections_per_request is None
