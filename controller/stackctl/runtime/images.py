"""Images on the local engine: presence, labels, build, import, removal."""

from __future__ import annotations

from stackctl.runtime._client import docker_client, tool_errors


def image_exists(ref: str) -> bool:
    """Whether `ref` is present on the local engine."""
    client = docker_client()
    with tool_errors(f"docker image inspect {ref}"):
        return bool(client.image.exists(ref))
