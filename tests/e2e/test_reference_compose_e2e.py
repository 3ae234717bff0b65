"""compose/ works with plain `docker compose` (no stackctl), secrets from an .env file."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from contract import assert_shell_less_non_root

from stackctl import versions
from stackctl.render.reference import REFERENCE_DIR

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
        # The Tyk images have no shell, so no Docker healthcheck: `--wait` sees them
        # started; /hello says when the gateway is ready.
        deadline, hello = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            try:
                hello = httpx.get(f"http://127.0.0.1:{port}/hello", timeout=5).json()
            except (httpx.HTTPError, ValueError):
                hello = {}
            if hello.get("details", {}).get("redis", {}).get("status") == "pass":
                break
            time.sleep(1)
        assert hello["details"]["redis"]["status"] == "pass", hello
        # The gateway API writes a definition into apps/ (a volume the job handed to the
        # image's user) and the upstream answers with stackctl's config, not nginx's page.
        secret = env_file.read_text().split("GATEWAY_SECRET=")[1].split()[0]
        api = {"api_id": "ref-e2e", "name": "ref-e2e", "use_keyless": True, "active": True,
               "proxy": {"listen_path": "/ref-e2e/", "target_url": "http://upstream:80/",
                         "strip_listen_path": True},
               "version_data": {"not_versioned": True,
                                "versions": {"Default": {"name": "Default"}}}}
        created = httpx.post(f"http://127.0.0.1:{port}/tyk/apis", json=api, timeout=10,
                             headers={"x-tyk-authorization": secret})
        assert created.status_code == 200, created.text
        httpx.get(f"http://127.0.0.1:{port}/tyk/reload/group", timeout=10,
                  headers={"x-tyk-authorization": secret})
        deadline, reply = time.monotonic() + 30, None
        while time.monotonic() < deadline:
            reply = httpx.get(f"http://127.0.0.1:{port}/ref-e2e/", timeout=5)
            if reply.status_code == 200:
                break
            time.sleep(1)
        assert reply is not None and reply.json() == {"upstream": "ok"}, reply
        for service in ("gateway", "pump"):
            assert_shell_less_non_root(f"stackctl-reference-{service}-1")
    finally:
        subprocess.run([*cmd, "down", "--volumes", "--remove-orphans"], capture_output=True,
                       timeout=120)


def test_missing_secret_is_refused_by_compose(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GATEWAY_SECRET=x\n")
    out = subprocess.run([*COMPOSE, "--env-file", str(env_file), "config", "-q"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "REDIS_PASSWORD" in out.stderr
