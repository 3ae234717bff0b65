"""`stackctl up` refuses bad input before anything starts: no container, no network."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from stackenv import project_objects, stack_env, stackctl

pytestmark = pytest.mark.docker

SUBNETS = ("172.31.178.0/24", "172.31.179.0/24")


def test_port_in_use_fails_in_preflight(tmp_path: Path) -> None:
    project = "stackctl-test-preflight-port"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        env = stack_env(project, *SUBNETS, STACKCTL_GATEWAY__PORT=str(port))
        out = stackctl(tmp_path, env, "up", timeout=120)
    assert out.returncode != 0
    assert "preflight" in out.stderr and "gateway.port" in out.stderr
    assert project_objects(project) == []


def test_missing_image_fails_in_preflight(tmp_path: Path) -> None:
    project = "stackctl-test-preflight-image"
    env = stack_env(project, *SUBNETS, STACKCTL_IMAGES__GATEWAY="stackctl/does-not-exist:1")
    out = stackctl(tmp_path, env, "up", timeout=120)
    assert out.returncode != 0
    assert "stackctl/does-not-exist:1" in out.stderr
    assert project_objects(project) == []


def test_bad_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    env = stack_env("stackctl-test-preflight-bad", *SUBNETS, STACKCTL_REDIS__SHARDS="2")
    out = stackctl(tmp_path, env, "up", timeout=120)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "redis.shards" in lines[0]
    assert not (tmp_path / ".stackctl").exists()


def _pro_env(tmp_path: Path, project: str, **extra: str) -> dict[str, str]:
    import base64
    import json

    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    (tmp_path / ".stackctl").mkdir(exist_ok=True)
    (tmp_path / ".stackctl" / "secrets.json").write_text(json.dumps(
        {"licence": f"{part({'alg': 'none'})}.{part({'exp': 4102444800})}.c2ln"}))
    return stack_env(project, *SUBNETS, STACKCTL_PROFILE="pro",
                     STACKCTL_DASHBOARD__STORE_SUBNET="172.31.66.0/24", **extra)


def test_pro_dashboard_image_absent_is_one_line_exit_2(tmp_path: Path) -> None:
    project = "stackctl-test-preflight-pro-image"
    env = _pro_env(tmp_path, project, STACKCTL_IMAGES__DASHBOARD="stackctl/no-dashboard:1")
    out = stackctl(tmp_path, env, "up", timeout=120)
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert "images.dashboard: stackctl/no-dashboard:1 is not present" in last
    assert "docker pull" in last
    assert project_objects(project) == []


def test_pro_dashboard_port_taken_is_one_line_exit_2(tmp_path: Path) -> None:
    project = "stackctl-test-preflight-pro-port"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        # the dashboard image present (any local image stands for it: preflight only)
        env = _pro_env(tmp_path, project, STACKCTL_DASHBOARD__PORT=str(port),
                       STACKCTL_IMAGES__DASHBOARD="stackctl/base:bookworm")
        out = stackctl(tmp_path, env, "up", timeout=120)
    assert out.returncode == 2, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert f"dashboard.port: 127.0.0.1:{port} is in use" in last
    assert project_objects(project) == []
