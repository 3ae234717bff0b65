"""What every benchmark's stack shares: its own project, pinned subnets and a free
published port, offline images, and this checkout's controller (imported by the scripts
beside it)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for the gateway to publish."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stack_env(project: str, subnets: tuple[str, str], source: Path = REPO,
              **settings: str) -> dict[str, str]:
    """This process's environment without STACKCTL_ settings, plus the stack's own:
    `settings` as STACKCTL_<NAME> (e.g. REDIS__TLS="off")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STACKCTL_")}
    env.update({"STACKCTL_PROJECT": project, "STACKCTL_REDIS__SUBNET": subnets[0],
                "STACKCTL_NETWORK__SUBNET": subnets[1],
                "STACKCTL_GATEWAY__PORT": str(free_port()), "STACKCTL_IMAGES__OFFLINE": "true",
                "PYTHONPATH": str(source / "controller")})
    env.update({f"STACKCTL_{k.upper()}": v for k, v in settings.items()})
    return env
