"""`stackctl up` refuses bad input before anything starts: no container, no network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker


def project_objects(project: str) -> list[str]:
    found = []
    for kind, fmt in (("container", "{{.Names}}"), ("network", "{{.Name}}"),
                      ("volume", "{{.Name}}")):
        cmd = ["/usr/bin/docker", kind, "ls", "--filter",
               f"label=com.docker.compose.project={project}", "--format", fmt]
        if kind == "container":
            cmd.insert(3, "--all")
        found += subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return found


def run_up(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    return subprocess.run([sys.executable, "-m", "stackctl", "up", "--offline"],
                          cwd=tmp_path, env={**base, **env}, capture_output=True, text=True,
                          timeout=120)


def test_port_in_use_fails_in_preflight(tmp_path: Path) -> None:
    project = "stackctl-test-preflight-port"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = run_up(tmp_path, STACKCTL_PROJECT=project, STACKCTL_GATEWAY__PORT=str(port))
    assert out.returncode != 0
    assert "preflight" in out.stderr and "gateway.port" in out.stderr
    assert project_objects(project) == []


def test_missing_image_fails_in_preflight(tmp_path: Path) -> None:
    project = "stackctl-test-preflight-image"
    out = run_up(tmp_path, STACKCTL_PROJECT=project,
                 STACKCTL_IMAGES__GATEWAY="stackctl/does-not-exist:1")
    assert out.returncode != 0
    assert "stackctl/does-not-exist:1" in out.stderr
    assert project_objects(project) == []


def test_bad_setting_exits_2_with_one_line(tmp_path: Path) -> None:
    out = run_up(tmp_path, STACKCTL_REDIS__SHARDS="2")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        line for line in out.stderr.strip().splitlines() if "redis.shards" in line]
    assert not (tmp_path / ".stackctl").exists()
