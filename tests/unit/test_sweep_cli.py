"""`stackctl sweep`'s projection flags: bad input is one line naming the setting and the
fix, exit 2, before any Docker call (the docker binary here does not exist, so reaching
Docker would say something else) and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackenv import clean_stackctl

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("args", "named"), [
    (["--target-rate", "0"], "--target-rate"),
    (["--target-rate", "-100"], "--target-rate"),
    (["--gateways", "0"], "--gateways"),
    (["--target-rate", "5000", "--target-gateways", "0"], "--target-gateways"),
    # 3 gateways: a pool of 1 is already (4 x 3 + 1) x 1 = 13 connections per node
    (["--target-rate", "5000", "--target-gateways", "3", "--maxclients", "12"],
     "--maxclients"),
])
def test_bad_projection_input_is_one_line_exit_2_nothing_run(
        tmp_path: Path, args: list[str], named: str) -> None:
    state = tmp_path / "s"
    state.mkdir()
    (state / "stack.json").write_text("{}")
    proc = clean_stackctl("sweep", *args, cwd=tmp_path,
                          env={"STACKCTL_STATE_DIR": str(state),
                               "STACKCTL_DOCKER": "/nonexistent/docker"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in proc.stderr, lines
    assert "docker" not in proc.stderr.lower(), proc.stderr  # refused before Docker
    assert proc.stdout == "" and sorted(p.name for p in state.iterdir()) == ["stack.json"]
