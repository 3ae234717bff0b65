"""The watch's fast reads against a real container: `Compose.states` (one docker inspect)
and `Compose.service_log` (stdout and stderr merged in time order)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackctl.runtime.compose import Compose
from stackctl.versions import image
from stackenv import compose_project

pytestmark = pytest.mark.docker

SUBNET = "172.31.176.0/24"
TALK = ("echo out 1; sleep 0.2; echo err 2 >&2; sleep 0.2; echo out 3; sleep 0.2; "
        "echo err 4 >&2; exec sleep 300")


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Compose]:
    spec = {
        "name": f"stackctl-test-runtime-{os.getpid()}",
        "networks": {"default": {"ipam": {"config": [{"subnet": SUBNET}]}}},
        "services": {"talker": {
            "image": image("base").local, "command": ["sh", "-c", TALK],
            "stop_signal": "SIGKILL",
            "healthcheck": {"test": ["CMD", "true"], "interval": "1s", "retries": 30},
        }},
    }
    with compose_project(tmp_path, spec) as compose:
        yield compose


def test_states_reads_health_and_leaves_out_missing_services(project: Compose) -> None:
    states = project.states(["talker", "absent"])
    assert [(s.service, s.state, s.health) for s in states] == [
        ("talker", "running", "healthy")]
    assert states[0].name == project.container("talker")
    assert 0 <= time.time() - states[0].started_at < 120


def test_service_log_merges_both_streams_in_time_order(project: Compose) -> None:
    deadline = time.monotonic() + 10
    while "err 4" not in project.service_log("talker") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert project.service_log("talker") == "out 1\nerr 2\nout 3\nerr 4\n"
    assert project.service_log("talker", tail=1) == "err 4\n"
    assert project.service_log("absent") == ""
