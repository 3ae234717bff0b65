"""runtime.usage against a real container: its cgroup CPU and memory and its network
namespace's TCP counters, read from the host's /proc and /sys, move when connections are
made inside it; a missing container is unavailable, not an error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackctl.runtime.compose import Compose
from stackctl.runtime.usage import (
    CgroupUsage,
    ContainerUsage,
    TcpCounters,
    Unavailable,
    container_usage,
    read_host_cpu,
)
from stackctl.versions import image
from stackenv import compose_project

pytestmark = pytest.mark.docker

SUBNET = "172.31.177.0/24"
PORT = 8080
CONNECTIONS = 5
LISTEN = ("use IO::Socket::INET; my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1:"
          f"{PORT}', Listen => 64, ReuseAddr => 1) or die; "
          "while (my $c = $s->accept) { 1 while sysread($c, my $b, 1); close $c }")
CONNECT = (f"for i in $(seq {CONNECTIONS}); do exec 3<>/dev/tcp/127.0.0.1/{PORT}; "
           "exec 3<&-; done")  # the client closes first: its side keeps TIME_WAIT


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Compose]:
    spec = {
        "name": f"stackctl-test-usage-{os.getpid()}",
        "networks": {"default": {"ipam": {"config": [{"subnet": SUBNET}]}}},
        "services": {"probe": {
            "image": image("base").local,
            "command": ["perl", "-e", LISTEN.replace("$", "$$")],  # Compose interpolates $
            "stop_signal": "SIGKILL",
            "healthcheck": {"test": ["CMD", "bash", "-c", f"echo > /dev/tcp/127.0.0.1/{PORT}"],
                            "interval": "1s", "retries": 30},
        }},
    }
    with compose_project(tmp_path, spec) as compose:
        yield compose


def _read(compose: Compose) -> tuple[CgroupUsage, TcpCounters]:
    name = compose.container("probe")
    got = container_usage([name], [name])[name]
    assert isinstance(got, ContainerUsage), got
    assert isinstance(got.cgroup, CgroupUsage), got.cgroup
    assert isinstance(got.tcp, TcpCounters), got.tcp
    return got.cgroup, got.tcp


def test_counters_move_with_connections_made_inside(project: Compose) -> None:
    before_cg, before_tcp = _read(project)
    assert before_cg.cpu_ns > 0 and before_cg.memory_bytes > 0
    result = project.exec("probe", ["bash", "-c", CONNECT])
    assert result.ok, result.stderr
    after_cg, after_tcp = _read(project)
    # the healthcheck may connect meanwhile: at least ours, and not wildly more
    opened = after_tcp.active_opens - before_tcp.active_opens
    assert CONNECTIONS <= opened <= CONNECTIONS + 5
    assert after_tcp.passive_opens - before_tcp.passive_opens >= CONNECTIONS
    assert after_tcp.time_wait_to(PORT) >= CONNECTIONS
    assert after_tcp.time_wait >= after_tcp.time_wait_to(PORT)
    assert after_cg.cpu_ns > before_cg.cpu_ns  # bash ran in the container's cgroup


def test_missing_container_and_host_cpu() -> None:
    name = f"stackctl-test-usage-absent-{os.getpid()}"
    assert container_usage([name]) == {name: Unavailable(f"no container {name}")}
    host = read_host_cpu()
    assert not isinstance(host, Unavailable)
    assert 0 < host.busy_ticks < host.total_ticks and host.cores == os.cpu_count()
