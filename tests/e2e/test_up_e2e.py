"""`stackctl up` end to end, per TLS mode, with the real gateway and pump built here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

MODES = ("off", "tls", "insecure", "mtls")
# Each mode gets its own pinned subnets (172.31.16x.0/24), project and port.
SUBNET_BASE = 160


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stackctl(cwd: Path, env: dict[str, str], *args: str, timeout: float = 300
             ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def docker_names(kind: str, project: str) -> list[str]:
    fmt = "{{.Name}}" if kind != "container" else "{{.Names}}"
    cmd = ["/usr/bin/docker", kind, "ls", "--filter",
           f"label=com.docker.compose.project={project}", "--format", fmt]
    if kind == "container":
        cmd.insert(3, "--all")
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()


@pytest.fixture(params=MODES)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    mode: str = request.param
    index = MODES.index(mode)
    project = f"stackctl-e2e-up-{mode}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env.update({
        "STACKCTL_PROJECT": project,
        "STACKCTL_REDIS__SUBNET": f"172.31.{SUBNET_BASE + 2 * index}.0/24",
        "STACKCTL_NETWORK__SUBNET": f"172.31.{SUBNET_BASE + 2 * index + 1}.0/24",
        "STACKCTL_GATEWAY__PORT": str(free_port()),
        "STACKCTL_IMAGES__OFFLINE": "true",
    })
    try:
        yield mode, project, env, tmp_path
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)


def test_up_serves_through_gateway_and_down_leaves_nothing(stack: Any) -> None:
    mode, project, env, cwd = stack
    up = stackctl(cwd, env, "up", "--tls", mode, "--json")
    assert up.returncode == 0, up.stderr + up.stdout
    events = [json.loads(line) for line in up.stdout.splitlines() if line.startswith("{")]
    steps = [e["step"] for e in events if e.get("event") == "step" and e["status"] == "ok"]
    assert steps[:3] == ["preflight", "certificates", "render"]
    assert "bootstrap" in steps
    status = stackctl(cwd, env, "status", "--json")
    assert status.returncode == 0, status.stderr
    state = json.loads(status.stdout)
    assert state["healthy"] is True
    assert state["cluster"]["state"] == "ok"
    assert state["cluster"]["slots_covered"] == 16384
    assert (state["cluster"]["primaries"], state["cluster"]["replicas"]) == (3, 3)
    assert state["gateway"]["redis"] == "pass"
    assert state["gateway"]["version"].startswith("v5.8")
    # A request through the gateway with the created key gets the upstream's answer.
    key = json.loads((cwd / ".stackctl" / "bootstrap.json").read_text())["key"]
    base = f"http://127.0.0.1:{env['STACKCTL_GATEWAY__PORT']}"
    ok = httpx.get(f"{base}/smoke/", headers={"Authorization": key}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {"upstream": "ok"}
    denied = httpx.get(f"{base}/smoke/", headers={"Authorization": "wrong"}, timeout=10)
    assert denied.status_code in (401, 403)
    # down --volumes leaves no container, network or volume of the project.
    down = stackctl(cwd, env, "down", "--volumes")
    assert down.returncode == 0, down.stderr
    for kind in ("container", "network", "volume"):
        assert docker_names(kind, project) == [], kind


@pytest.mark.parametrize("mode", ["mtls"])
def test_second_up_recreates_nothing(mode: str, tmp_path: Path) -> None:
    project = "stackctl-e2e-reup"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env.update({"STACKCTL_PROJECT": project, "STACKCTL_REDIS__SUBNET": "172.31.170.0/24",
                "STACKCTL_NETWORK__SUBNET": "172.31.171.0/24",
                "STACKCTL_GATEWAY__PORT": str(free_port()), "STACKCTL_IMAGES__OFFLINE": "true"})
    try:
        first = stackctl(tmp_path, env, "up", "--tls", mode)
        assert first.returncode == 0, first.stderr
        ids = sorted(docker_names("container", project))
        second = stackctl(tmp_path, env, "up", "--tls", mode, "--json")
        assert second.returncode == 0, second.stderr
        events = [json.loads(x) for x in second.stdout.splitlines() if x.startswith("{")]
        details = {e["step"]: e["detail"] for e in events if e.get("status") == "ok"}
        assert details["redis-cluster"].startswith("unchanged")
        assert details["tyk"].startswith("unchanged")
        assert sorted(docker_names("container", project)) == ids
    finally:
        stackctl(tmp_path, env, "down", "--volumes", timeout=120)
