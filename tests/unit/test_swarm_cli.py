"""engine = swarm at the command line: settings it cannot honour are refused before any
Docker call (one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackenv import clean_stackctl

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("flags", "named"), [
    (["--profile", "pro"], "profile = pro"),
    (["--endpoints", "ip"], "redis.endpoints"),
])
def test_up_on_swarm_refuses_what_it_cannot_do(tmp_path: Path, flags: list[str],
                                               named: str) -> None:
    proc = clean_stackctl("up", "--engine", "swarm", *flags, "--no-smoke", cwd=tmp_path,
                          env={"STACKCTL_STATE_DIR": str(tmp_path / "s"),
                               "STACKCTL_DOCKER": "/nonexistent/docker"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert named in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "s" / "stack.json").exists()


def test_engine_setting_is_checked(tmp_path: Path) -> None:
    proc = clean_stackctl("up", "--engine", "kubernetes", "--no-smoke", cwd=tmp_path,
                          env={"STACKCTL_STATE_DIR": str(tmp_path / "s")})
    assert proc.returncode == 2 and "engine" in proc.stderr, proc.stderr


def test_sweep_on_swarm_without_a_stack_here_says_so_before_any_docker_call(
        tmp_path: Path) -> None:
    state = tmp_path / "s"
    proc = clean_stackctl("sweep", "--json", cwd=tmp_path,
                          env={"STACKCTL_STATE_DIR": str(state), "STACKCTL_ENGINE": "swarm",
                               "STACKCTL_DOCKER": "/nonexistent/docker"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no swarm stack rendered here" in proc.stderr
    assert "stackctl up --engine swarm" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == ""


def test_sweep_on_swarm_with_docker_missing_is_one_line(tmp_path: Path) -> None:
    state = tmp_path / "s"
    state.mkdir()
    (state / "stack.json").write_text("{}")
    proc = clean_stackctl("sweep", cwd=tmp_path,
                          env={"STACKCTL_STATE_DIR": str(state), "STACKCTL_ENGINE": "swarm",
                               "STACKCTL_DOCKER": "/nonexistent/docker"})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize(("args", "named"), [
    (["partition-primary"], "scenario 'partition-primary': not on engine = swarm"),
    (["kill-primary", "stop-pump"], "scenario 'stop-pump': not on engine = swarm"),
    (["--vary", "gateway.max_active=50,500"], "--vary gateway.max_active: not on engine"),
])
def test_drill_on_swarm_refuses_what_cannot_exist_there_before_any_docker_call(
        tmp_path: Path, args: list[str], named: str) -> None:
    state = tmp_path / "s"
    state.mkdir()
    (state / "stack.json").write_text("{}")
    proc = clean_stackctl("drill", *args, cwd=tmp_path,
                          env={"STACKCTL_STATE_DIR": str(state), "STACKCTL_ENGINE": "swarm",
                               "STACKCTL_DOCKER": "/nonexistent/docker"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert named in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
