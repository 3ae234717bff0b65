"""The CLI as a user runs it: exit codes, one-line errors, JSON views."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit


def stackctl(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    return subprocess.run(
        [sys.executable, "-m", "stackctl", *args],
        cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=60,
    )


def test_version(tmp_path: Path) -> None:
    from stackctl import __version__

    out = stackctl("--version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"stackctl {__version__}"


def test_every_command_has_help(tmp_path: Path) -> None:
    top = stackctl("--help", cwd=tmp_path)
    assert top.returncode == 0
    for command in (["config", "show"], ["doctor"]):
        out = stackctl(*command, "--help", cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert "Usage" in out.stdout


def test_config_show_json_masks_secrets(tmp_path: Path) -> None:
    from stackctl.secrets import load_secrets

    secret = load_secrets(tmp_path / ".stackctl").redis_password.get_secret_value()
    out = stackctl("config", "show", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["redis"]["shards"] == 3
    assert secret not in out.stdout
    assert data["secrets"]["values"]["redis_password"] == "********"
    shown = stackctl("config", "show", "--json", "--show-secrets", cwd=tmp_path)
    assert secret in shown.stdout


@pytest.mark.parametrize(
    ("toml", "env", "expect"),
    [
        ("[redis]\nshards = 2\n", {}, "redis.shards"),
        ("[redis\n", {}, "stackctl.toml: is not valid TOML"),
        ("[redis]\nreplicaz = 1\n", {}, "did you mean 'redis.replicas'"),
        ("", {"STACKCTL_REDIS__REPLICAS": "9"}, "redis.replicas"),
        ("[gateway]\nport = 99999\n", {}, "gateway.port"),
        ("profile = 'pro'\n[dashboard]\nport = 8080\n", {}, "both 8080"),
        ("[gateway]\nmax_idle_connections_per_host = 0\n", {},
         "gateway.max_idle_connections_per_host"),
        ("", {"STACKCTL_GATEWAY__MAX_IDLE_CONNECTIONS_PER_HOST": "100001"},
         "gateway.max_idle_connections_per_host"),
        ("[gateway]\nrate_limiter = 'token-bucket'\n", {}, "gateway.rate_limiter"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(
    tmp_path: Path, toml: str, env: dict[str, str], expect: str
) -> None:
    (tmp_path / "stackctl.toml").write_text(toml)
    out = stackctl("config", "show", cwd=tmp_path, env=env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stackctl: error: ")
    assert expect in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stackctl.toml"]


def test_redis_limiter_that_cannot_use_the_tls_files_is_refused_before_writing(
        tmp_path: Path) -> None:
    (tmp_path / "stackctl.toml").write_text(
        "[gateway]\nrate_limiter = 'fixed-window'\n[redis]\ntls = 'mtls'\n")
    out = stackctl("render", "--out", "out", cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "gateway.rate_limiter" in lines[0], out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stackctl.toml"]


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    out = stackctl("frobnicate", cwd=tmp_path)
    assert out.returncode == 2
