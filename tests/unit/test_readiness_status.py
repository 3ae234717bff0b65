"""Cluster status from recorded node reports, and `compose ps` parsing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from stackctl.cluster.status import cluster_status, node_status, node_view
from stackctl.model import build_model
from stackctl.runtime.compose import parse_docker_ps
from stackctl.runtime.docker_cli import ExecResult
from stackctl.settings import Settings

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).parent / "fixtures" / "cluster"
MODEL = build_model(Settings(redis={"subnet": "172.31.210.0/24"}))  # type: ignore[arg-type]


def text(name: str) -> str:
    return (FIXTURES / name).read_text()


class FakeCompose:
    """Answers a node exec from recorded reports; redis-1 can be made unreachable."""

    def __init__(self, dead: Sequence[str] = ()) -> None:
        self.dead = set(dead)

    def node(self, service: str, command: Sequence[str], env: Mapping[str, str]
             ) -> ExecResult:
        assert command[-1].endswith("node-report.sh")
        if service in self.dead:
            return ExecResult(1, "", f"Error response from daemon: container {service} is "
                                     "not running\n")
        index = int(service.split("-")[1])
        name = "healthy-primary.txt" if index <= 3 else "healthy-replica.txt"
        return ExecResult(0, text(name), "")


def test_node_status_of_a_replica() -> None:
    node = MODEL.nodes[3]
    status = node_status(node, node_view(node, text("healthy-replica.txt")))
    assert status.role == "replica"
    assert status.slots == 0
    assert status.master_link == "up"
    assert status.links == "connected"
    assert status.memory == "1.78M" and status.memory_bytes == 1865480
    assert status.id == "f0c6724bec1fb6225e097e00b94284e13a718ca4"


def test_node_status_of_a_primary() -> None:
    node = MODEL.nodes[0]
    status = node_status(node, node_view(node, text("healthy-primary.txt")))
    assert status.role == "primary" and status.master_link == ""
    assert status.slots == 5461


def test_cluster_status_summary() -> None:
    status = cluster_status(FakeCompose().node, MODEL)
    assert status.summary == {"state": "ok", "slots_covered": 16384, "primaries": 3,
                              "replicas": 3}
    assert status.ready
    assert [n.name for n in status.nodes] == [f"redis-{i}" for i in range(1, 7)]
    assert status.as_dict()["ready"] is True


def test_unreachable_node() -> None:
    status = cluster_status(FakeCompose(dead=["redis-1"]).node, MODEL)
    first = status.nodes[0]
    assert not first.reachable and first.links == "unreachable" and first.role == "unknown"
    assert "not running" in first.error
    assert not status.ready
    assert status.problems[0].startswith("172.31.210.11:6379: ping:")
    assert status.summary["primaries"] == 2


def test_parse_recorded_docker_ps() -> None:
    states = {s.service: s for s in parse_docker_ps(text("docker-ps.txt"))}
    assert states["cluster-gate"].health == "healthy" and states["upstream"].health == ""
    assert states["cluster-init"].state == "exited" and states["cluster-init"].exit_code == 0
    assert all(states[f"redis-{i}"].health == "healthy" for i in range(1, 7))
    assert states["gateway"].name == "p-gateway-1"


def test_parse_docker_ps_health_and_exit_codes() -> None:
    assert parse_docker_ps("") == []
    rows = parse_docker_ps(
        "pump\tp-pump-1\trestarting\tRestarting (2) 1 second ago\n"
        "gateway\tp-gateway-1\trunning\tUp 2 seconds (health: starting)\n"
        "redis-2\tp-redis-2-1\trunning\tUp 9 seconds (unhealthy)\n"
        "init\tp-init-1\texited\tExited (137) 3 seconds ago\n")
    assert [(r.state, r.health, r.exit_code) for r in rows] == [
        ("restarting", "", 2), ("running", "starting", 0), ("running", "unhealthy", 0),
        ("exited", "", 137)]
