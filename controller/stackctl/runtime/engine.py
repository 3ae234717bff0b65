"""Facts about the Docker engine and the Compose plugin."""

from __future__ import annotations

import re

from stackctl.errors import ToolError
from stackctl.runtime._client import docker_client, tool_errors


def engine_version() -> str:
    """The engine's version; raises ToolError when it cannot be reached."""
    client = docker_client()
    with tool_errors("docker engine unreachable"):
        info = client.version()
    server = info.server
    if server is None or not server.version:
        raise ToolError("docker engine unreachable: the CLI got no server answer")
    return str(server.version)


def compose_version() -> str:
    """The Compose plugin's version, e.g. `2.40.3`; raises ToolError when missing."""
    client = docker_client()
    with tool_errors("docker compose plugin missing"):
        text = str(client.compose.version())
    match = re.search(r"v?(\d+\.\d+\.\d+)", text)
    return match.group(1) if match else text.strip()


def network_exists(name: str) -> bool:
    """Whether a Docker network of that name or ID exists; ToolError when it cannot be asked."""
    client = docker_client()
    with tool_errors("docker network ls"):
        found = client.network.list(filters={"name": name})
    return any(n.name == name or n.id.startswith(name) for n in found)
