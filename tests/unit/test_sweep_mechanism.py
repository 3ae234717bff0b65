"""The sweep's mechanism readers on real Redis 7.0 answers: commandstats deltas and
CLIENT LIST by address, open and in use (`idle`)."""

from __future__ import annotations

from typing import Any

import pytest

from stackctl.load.plan import LoadResult
from stackctl.runtime.docker_cli import ExecResult
from stackctl.sweep.measure import loop_end
from stackctl.sweep.mechanism import (
    Connections,
    NodeCalls,
    node_figures,
    parse_calls,
    parse_client_list,
    point_nodes,
    read_connections,
)
from stackctl.sweep.report import knee_check

pytestmark = pytest.mark.unit

PRIMARY = """# Replication\r
role:master\r
connected_slaves:1\r
# Commandstats\r
cmdstat_rpush:calls=20000,usec=50000,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r
cmdstat_get:calls=1000,usec=1500,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r
cmdstat_info:calls=40,usec=4000,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r
cmdstat_client|list:calls=3,usec=300,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r
"""
CLIENTS = (
    "id=5 addr=172.31.188.200:40001 laddr=172.31.188.11:6379 fd=9 name= age=9 idle=0 "
    "flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 cmd=rpush user=tyk\n"
    "id=6 addr=172.31.188.200:40002 laddr=172.31.188.11:6379 fd=10 name= age=9 idle=0 "
    "flags=N db=0 cmd=evalsha user=tyk\n"
    "id=7 addr=172.31.188.230:40100 laddr=172.31.188.11:6379 fd=11 name= age=9 idle=1 "
    "flags=N db=0 cmd=lrange user=tyk\n"
    "id=12 addr=172.31.188.200:40004 laddr=172.31.188.11:6379 fd=16 name= age=9 idle=7 "
    "flags=N db=0 cmd=get user=tyk\n"
    "id=13 addr=172.31.188.200:40005 laddr=172.31.188.11:6379 fd=17 name= age=9 idle=3 "
    "flags=N db=0 cmd=get user=tyk\n"
    "id=8 addr=172.31.188.14:6379 laddr=172.31.188.11:6379 fd=12 name= age=99 idle=0 "
    "flags=S db=0 cmd=replconf user=default\n"
    "id=11 addr=172.31.188.200:40003 laddr=172.31.188.11:6379 fd=15 name= age=9 idle=9 "
    "flags=P db=0 sub=1 psub=0 cmd=subscribe user=tyk\n"
    "id=9 addr=127.0.0.1:50000 laddr=127.0.0.1:6379 fd=13 name= age=0 idle=0 "
    "flags=N db=0 cmd=ping user=tyk\n"
    "id=10 addr=172.31.188.11:50002 laddr=172.31.188.11:6379 fd=14 name= age=0 idle=0 "
    "flags=N db=0 cmd=client|list user=tyk\n")


def test_calls_leave_out_stackctl_s_probes_and_replicas() -> None:
    assert parse_calls(PRIMARY) == NodeCalls(21000, 51500)
    assert parse_calls(PRIMARY.replace("role:master", "role:slave")) is None
    assert parse_calls("# Replication\nrole:master\n") is None


def test_client_list_by_address_without_replicas_subscribers_probes_or_the_pump() -> None:
    conns = parse_client_list(CLIENTS)
    assert conns.opened == {"172.31.188.200": 4, "172.31.188.230": 1}
    # idle 7 and 3: opened in a burst and left idle, not in use in the loop's last 2 s
    assert conns.in_use == {"172.31.188.200": 2, "172.31.188.230": 1}
    assert parse_client_list(CLIENTS, frozenset({"172.31.188.230"})) == Connections(
        {"172.31.188.200": 4}, {"172.31.188.200": 2})
    # read 1.5 s after the loop ended: idle 3 was still in use at its end; 7 was not
    assert parse_client_list(CLIENTS, active_s=3.5).in_use == {"172.31.188.200": 3,
                                                                "172.31.188.230": 1}
    # no readable idle: counted in use (the demand is not understated)
    assert parse_client_list(CLIENTS.replace("idle=7", "idle=")).in_use["172.31.188.200"] == 3


class _Cluster:
    """Two nodes answering CLIENT LIST, the way `ClusterAccess.cli` does."""

    def nodes(self) -> list[str]:
        return ["redis-1", "redis-2"]

    def cli(self, node: str, args: list[str]) -> ExecResult:
        assert args == ["client", "list"]
        return ExecResult(0, CLIENTS, "") if node == "redis-1" else ExecResult(1, "", "down")


def test_read_connections_widens_in_use_by_the_time_since_the_loop_ended() -> None:
    cluster: Any = _Cluster()
    now = 1000.0
    # answered right at the loop's end: idle <= 2 s
    fresh = read_connections(cluster, frozenset(), ended=now, clock=lambda: now)
    assert list(fresh) == ["redis-1"]  # redis-2 did not answer: left out
    assert fresh["redis-1"].in_use == {"172.31.188.200": 2, "172.31.188.230": 1}
    # answered 1.5 s after it: idle <= 3.5 s (idle 3 was in use when the loop ended)
    late = read_connections(cluster, frozenset(), ended=now - 1.5, clock=lambda: now)
    assert late["redis-1"].in_use["172.31.188.200"] == 3
    assert late["redis-1"].opened == fresh["redis-1"].opened


def test_node_figures_are_deltas_over_the_run() -> None:
    before = {"redis-1": NodeCalls(1000, 3000), "redis-2": NodeCalls(10, 10)}
    after = {"redis-1": NodeCalls(41000, 107000)}
    figs = node_figures(before, after, seconds=10.0, requests=40_000,
                        connections={"redis-1": Connections({"172.31.188.200": 7},
                                                            {"172.31.188.200": 3})})
    assert list(figs) == ["redis-1"]
    f = figs["redis-1"]
    assert f["commands_per_s"] == 4000.0 and f["commands_per_request"] == 1.0
    assert f["usec_per_call"] == 2.6 and f["in_redis"] == pytest.approx(0.0104)
    assert f["gateway_connections"] == 7 and f["in_use_connections"] == 3
    assert f["in_use_by_address"] == {"172.31.188.200": 3}
    burst = {**f, "commands_per_s": 3000.0, "gateway_connections": 40,
             "in_use_connections": 30}
    point = point_nodes([{"nodes": figs}, {"nodes": {**figs, "redis-1": burst}},
                         {"nodes": {**figs, "redis-1": {**f, "in_use_connections": 4}}}])
    assert point["redis-1"]["commands_per_s"] == 4000.0
    assert point["redis-1"]["gateway_connections"] == 40  # open: the peak
    assert point["redis-1"]["in_use_connections"] == 4.0  # in use: the median (3, 30, 4)


def test_the_projection_agrees_with_the_knee_within_one_point() -> None:
    sizes = [1, 2, 4, 8, 64]
    assert knee_check(2, sizes, 2)["agrees"] is True
    assert knee_check(2, sizes, 3)["agrees"] is True      # 3 -> 4, one point away
    assert knee_check(1, sizes, 5)["agrees"] is False     # 5 -> 8, three points away
    assert knee_check(None, sizes, 2)["agrees"] is None


def test_the_loop_s_end_is_its_last_load_s_or_the_fallback() -> None:
    def result(ended: float) -> LoadResult:
        return LoadResult("builtin", [], {}, 5.0, ended - 5.0, ended, False)

    assert loop_end([result(990.0), result(995.5)], fallback=1000.0) == 995.5
    assert loop_end([], fallback=1000.0) == 1000.0
    assert loop_end([result(1010.0)], fallback=1000.0) == 1000.0  # after "now": not used
