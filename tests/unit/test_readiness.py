"""Parsing recorded CLUSTER INFO / CLUSTER NODES / INFO text and the readiness rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.cluster.readiness import (
    NodeView,
    parse_info,
    parse_nodes,
    readiness_problems,
    slot_count,
    view_problems,
)
from stackctl.cluster.status import split_report

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"


def report(name: str) -> dict[str, str]:
    return split_report((FIXTURES / f"{name}.txt").read_text())


def view(name: str, addr: str = "node", **replace: str) -> NodeView:
    parts = report(name)
    info = parse_info(parts["info"])
    info.update(replace)
    return NodeView(addr, parts["ping"].strip(), parse_info(parts["cluster info"]),
                    parse_nodes(parts["cluster nodes"]), info)


def healthy() -> list[NodeView]:
    return [view("healthy-primary", f"p{i}") for i in range(3)] + [
        view("healthy-replica", f"r{i}") for i in range(3)]


def test_parse_cluster_info() -> None:
    info = parse_info(report("healthy-primary")["cluster info"])
    assert info["cluster_state"] == "ok"
    assert info["cluster_slots_ok"] == "16384"
    assert info["cluster_known_nodes"] == "6"


def test_parse_info_skips_section_headers() -> None:
    info = parse_info(report("healthy-replica")["info"])
    assert info["role"] == "slave"
    assert info["master_link_status"] == "up"
    assert "# Replication" not in info and info["used_memory_human"].endswith("M")


def test_parse_cluster_nodes() -> None:
    nodes = parse_nodes(report("healthy-replica")["cluster nodes"])
    assert len(nodes) == 6
    myself = next(n for n in nodes if n.myself)
    assert myself.addr == "172.31.210.14:6379" and not myself.primary
    primaries = [n for n in nodes if n.primary]
    assert sum(n.slot_count for n in primaries) == 16384
    assert myself.master_id in {p.id for p in primaries}
    assert all(n.link == "connected" for n in nodes)


def test_parse_nodes_with_announced_hostname_and_migration() -> None:
    line = ("07c3 10.0.0.1:6379@16379,redis-1 myself,master - 0 0 1 connected 0-99 100 "
            "[101->-e7d1]\r\nshort line\n")
    (node,) = parse_nodes(line)
    assert node.addr == "10.0.0.1:6379" and node.hostname == "redis-1"
    assert node.slot_count == 101


@pytest.mark.parametrize(("ranges", "count"), [(["0-16383"], 16384), (["5"], 1),
                                               (["0-1", "7", "[8-<-ab]"], 3), ([], 0)])
def test_slot_count(ranges: list[str], count: int) -> None:
    assert slot_count(ranges) == count


def test_ready_cluster_has_no_problems() -> None:
    assert readiness_problems(healthy(), shards=3, replicas=1) == []


def test_wrong_shape_is_not_ready() -> None:
    problems = readiness_problems(healthy(), shards=3, replicas=2)
    assert any("has 1 replicas, want 2" in p for p in problems)


def test_fresh_node_is_not_ready() -> None:
    problems = readiness_problems([view("fresh-node", "n")], shards=3, replicas=1)
    assert "n: cluster_state:fail" in problems
    assert "n: cluster_slots_ok:0" in problems
    assert "n sees 1 primaries (0 with slots), want 3" in problems


def test_replica_link_down_is_not_ready() -> None:
    views = healthy()
    views[3] = view("healthy-replica", "r0", master_link_status="down")
    assert readiness_problems(views, 3, 1) == ["r0: master_link_status:down"]


def test_stale_ok_right_after_a_kill_is_caught_by_ping() -> None:
    """Survivors still say ok with every link connected: only PONG tells."""
    survivors = [view("after-kill-stale-ok", f"s{i}") for i in range(5)]
    dead = NodeView("172.31.211.11:6379", ping="Could not connect to Redis")
    assert readiness_problems(survivors, 3, 1) != []  # 5 views but 6 nodes known
    assert readiness_problems([*survivors, dead], 3, 1) == [
        "172.31.211.11:6379: ping: Could not connect to Redis"]


def test_failed_primary_is_not_ready() -> None:
    problems = view_problems_of("after-kill-primary-failed")
    assert "v: cluster_state:fail" in problems
    assert "v: cluster_slots_ok:10923" in problems
    assert "v sees 172.31.211.11:6379(fail)" in problems


def test_after_failover_the_failed_node_still_blocks_readiness() -> None:
    problems = view_problems_of("after-failover")
    assert "v sees 172.31.211.11:6379(fail)" in problems
    assert "v sees 4 primaries (3 with slots), want 3" in problems
    assert not [p for p in problems if "cluster_state" in p or "slots_ok" in p]


def view_problems_of(name: str) -> list[str]:
    return view_problems(view(name, "v"), total=6, shards=3, replicas=1)
