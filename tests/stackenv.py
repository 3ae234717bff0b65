"""Shared by the docker and e2e tiers: run stackctl as a user does, in an isolated stack.

Each test stack gets its own project name, pinned subnets, a free loopback port and a
temporary working directory; `project_objects` proves teardown left nothing behind.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DOCKER = "/usr/bin/docker"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_env(project: str, redis_subnet: str, front_subnet: str, **extra: str
              ) -> dict[str, str]:
    """The environment of an isolated, offline stack (no inherited STACKCTL_* settings);
    `extra` holds whole variable names (STACKCTL_...)."""
    unnamed = [key for key in extra if not key.startswith("STACKCTL_")]
    if unnamed:
        raise ValueError(f"stack_env extras must be STACKCTL_* variables: {unnamed}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env.update({
        "STACKCTL_PROJECT": project,
        "STACKCTL_REDIS__SUBNET": redis_subnet,
        "STACKCTL_NETWORK__SUBNET": front_subnet,
        "STACKCTL_GATEWAY__PORT": str(free_port()),
        "STACKCTL_IMAGES__OFFLINE": "true",
        **extra,
    })
    return env


def clean_stackctl(*args: str, cwd: Path, env: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """`stackctl ARGS` in `cwd` with no inherited STACKCTL_* settings, plus `env` (the
    unit tier's way to run the CLI as a user does)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd,
                          env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


@contextmanager
def compose_project(tmp_path: Path, spec: dict[str, Any]) -> Iterator[Any]:
    """A small Compose project from `spec`, up (healthchecks passed) for the block, then
    down with its volumes."""
    from stackctl.runtime.compose import Compose

    path = tmp_path / "compose.json"
    path.write_text(json.dumps(spec))
    compose = Compose(spec["name"], [path])
    try:
        compose.up(timeout=60)
        yield compose
    finally:
        compose.down(volumes=True)


def stackctl(cwd: Path, env: dict[str, str], *args: str, timeout: float = 600
             ) -> subprocess.CompletedProcess[str]:
    """`stackctl ARGS` in `cwd`, output captured."""
    return subprocess.run([sys.executable, "-m", "stackctl", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def up_result(cwd: Path, env: dict[str, str], *args: str, timeout: float = 600
              ) -> dict[str, Any]:
    """`stackctl up --json ARGS` must succeed; its final JSON event (the result)."""
    up = stackctl(cwd, env, "up", *args, "--json", timeout=timeout)
    assert up.returncode == 0, up.stderr + up.stdout[-3000:]
    events = [json.loads(x) for x in up.stdout.splitlines() if x.startswith("{")]
    return dict(events[-1])


def project_objects(project: str, kinds: tuple[str, ...] = ("container", "network", "volume")
                    ) -> list[str]:
    """Containers, networks and volumes still labelled with the Compose project."""
    found: list[str] = []
    for kind in kinds:
        fmt = "{{.Names}}" if kind == "container" else "{{.Name}}"
        cmd = [DOCKER, kind, "ls", "--filter", f"label=com.docker.compose.project={project}",
               "--format", fmt]
        if kind == "container":
            cmd.insert(3, "--all")
        found += subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return found
