"""compose/ works with plain `docker compose` (no stackctl), secrets from an .env file."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from stackctl import versions
from stackctl.reference import REFERENCE_DIR

pytestmark = pytest.mark.e2e

COMPOSE = ["/usr/bin/docker", "compose", "-f", str(REFERENCE_DIR / "compose.yaml")]


def test_plain_docker_compose_runs_the_reference_stack(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"REDIS_PASSWORD={secrets.token_urlsafe(24)}\n"
        f"GATEWAY_SECRET={secrets.token_urlsafe(24)}\nGATEWAY_PORT={port}\n"
        f"REDIS_IMAGE={versions.image('redis').local}\n"
        f"GATEWAY_IMAGE={versions.image('tyk-gateway').local}\n"
        f"PUMP_IMAGE={versions.image('tyk-pump').local}\n"
        f"UPSTREAM_IMAGE={versions.image('upstream').local}\n")
    env_file.chmod(0o600)
    cmd = [*COMPOSE, "--env-file", str(env_file)]
    config = subprocess.run([*cmd, "config", "--format", "json"], capture_output=True,
                            text=True, timeout=60)
    assert config.returncode == 0, config.stderr
    model = json.loads(config.stdout)
    assert model["networks"]["redis"]["internal"] is True
    try:
        up = subprocess.run([*cmd, "up", "--detach", "--wait"], capture_output=True, text=True,
                            timeout=300)
        assert up.returncode == 0, up.stderr[-2000:]
        hello = httpx.get(f"http://127.0.0.1:{port}/hello", timeout=10).json()
        assert hello["details"]["redis"]["status"] == "pass"
    finally:
        subprocess.run([*cmd, "down", "--volumes", "--remove-orphans"], capture_output=True,
                       timeout=120)


def test_missing_secret_is_refused_by_compose(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GATEWAY_SECRET=x\n")
    out = subprocess.run([*COMPOSE, "--env-file", str(env_file), "config", "-q"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "REDIS_PASSWORD" in out.stderr
