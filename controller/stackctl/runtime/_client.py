"""Docker client construction and error mapping."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from stackctl.errors import ToolError

if TYPE_CHECKING:
    from python_on_whales import DockerClient

DEBIAN_DOCKER = "/usr/bin/docker"
"""Debian's docker.io CLI, matched to its engine; preferred when two CLIs exist."""


def load_wrapper() -> None:
    """Import python-on-whales in this thread before starting threads that reach Docker: its
    modules import each other, and two threads importing them at once can deadlock."""
    import python_on_whales
    import python_on_whales.exceptions
    import python_on_whales.utils  # noqa: F401


def docker_binary() -> str | None:
    """The docker CLI to call: $STACKCTL_DOCKER, Debian's, or the first on PATH."""
    explicit = os.environ.get("STACKCTL_DOCKER")
    if explicit:
        return explicit
    return DEBIAN_DOCKER if Path(DEBIAN_DOCKER).exists() else shutil.which("docker")


def docker_client(
    project: str | None = None,
    compose_files: Sequence[Path] = (),
    env_file: Path | None = None,
    project_dir: Path | None = None,
) -> DockerClient:
    """A python-on-whales client on the chosen CLI, optionally bound to a Compose project."""
    from python_on_whales import DockerClient

    binary = docker_binary()
    if binary is None:
        raise ToolError("docker: no docker CLI found; install Debian's docker.io (see README)")
    return DockerClient(
        client_call=[binary],
        compose_project_name=project,
        compose_files=list(compose_files),
        compose_env_file=env_file,
        compose_project_directory=project_dir,
    )


@contextmanager
def tool_errors(what: str) -> Iterator[None]:
    """Map python-on-whales failures inside the block to one-line `ToolError`s."""
    from python_on_whales.client_config import ClientNotFoundError
    from python_on_whales.exceptions import DockerException

    try:
        yield
    except ClientNotFoundError:  # STACKCTL_DOCKER names no binary
        raise ToolError(f"{what}: the docker CLI {docker_binary()} was not found; install "
                        "docker.io or fix STACKCTL_DOCKER") from None
    except DockerException as exc:
        stderr = (exc.stderr or "").strip()
        last = stderr.splitlines()[-1] if stderr else f"exit code {exc.return_code}"
        raise ToolError(f"{what}: {last}", exc.docker_command, stderr) from None
    except FileNotFoundError as exc:
        missing = exc.filename or "docker"
        raise ToolError(f"{what}: {missing} not found; install docker.io") from None
