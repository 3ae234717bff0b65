"""A Compose project's services: up, down, ps, exec, logs, kill, start, config.

Everything goes through python-on-whales on the chosen docker CLI; failures become
one-line `ToolError`s that keep the command and its stderr.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackctl.runtime._client import docker_client, tool_errors

if TYPE_CHECKING:
    from python_on_whales import DockerClient


@dataclass(frozen=True)
class ExecResult:
    """What a command run inside a service container returned."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Exit code 0."""
        return self.returncode == 0


@dataclass(frozen=True)
class ServiceState:
    """One container of the project, as `compose ps` reports it."""

    service: str
    name: str
    state: str  # running | exited | created | ...
    health: str  # healthy | unhealthy | starting | "" (no healthcheck)
    exit_code: int


class Compose:
    """One Compose project: its name and files."""

    def __init__(self, project: str, files: Sequence[Path], project_dir: Path | None = None):
        self.project = project
        self.files = [Path(f) for f in files]
        self._client: DockerClient = docker_client(project, self.files, project_dir=project_dir)

    def _run(self, args: Sequence[str], what: str, compose: bool = True) -> ExecResult:
        from python_on_whales.exceptions import DockerException
        from python_on_whales.utils import run

        config = self._client.client_config
        base = config.docker_compose_cmd if compose else config.docker_cmd
        cmd = [str(a) for a in base] + list(args)
        with tool_errors(what):
            try:
                out, err = run(cmd, return_stderr=True)
            except DockerException as exc:
                return ExecResult(exc.return_code, exc.stdout or "", exc.stderr or "")
        return ExecResult(0, str(out), str(err))

    def container(self, service: str, index: int = 1) -> str:
        """The container name Compose gives a service replica (stackctl never sets
        `container_name`)."""
        return f"{self.project}-{service}-{index}"

    def up(self, services: Sequence[str] | None = None, wait: bool = True,
           timeout: int | None = None, remove_orphans: bool = False) -> None:
        """`up --detach [--wait] [--remove-orphans]`: start the services and (with `wait`)
        block until every healthcheck passes and one-shot dependencies have completed."""
        with tool_errors(f"compose up ({self.project})"):
            self._client.compose.up(list(services) if services else None, detach=True,
                                    wait=wait, quiet=True, wait_timeout=timeout,
                                    remove_orphans=remove_orphans)

    def down(self, volumes: bool = False) -> None:
        """`down [--volumes] --remove-orphans`."""
        with tool_errors(f"compose down ({self.project})"):
            self._client.compose.down(remove_orphans=True, volumes=volumes, quiet=True)

    def ps(self) -> list[ServiceState]:
        """Every container of the project, running or not."""
        result = self._run(["ps", "--all", "--format", "json"], f"compose ps ({self.project})")
        if not result.ok:
            from stackctl.errors import ToolError

            raise ToolError(f"compose ps ({self.project}): {result.stderr.strip()}")
        return parse_ps(result.stdout)

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1) -> ExecResult:
        """Run `command` in a running service container (no TTY). The exit code is returned,
        not raised; a missing or stopped container also comes back as a failed result.

        Uses `docker exec` on the container: `compose exec` costs about a second of
        project loading per call, which polling loops cannot afford."""
        args = ["exec"]
        for key, value in (env or {}).items():
            args += ["--env", f"{key}={value}"]
        return self._run([*args, self.container(service, index), *command],
                         f"docker exec {service}", compose=False)

    def logs(self, services: Sequence[str] = (), tail: int | None = None) -> str:
        """The services' logs (all services when none are named)."""
        with tool_errors(f"compose logs ({self.project})"):
            out = self._client.compose.logs(list(services), tail=None if tail is None
                                            else str(tail), no_log_prefix=len(services) == 1)
        return str(out)

    def follow_logs(self, services: Sequence[str] = (), tail: int | None = None) -> None:
        """Stream the services' logs to stdout until interrupted."""
        import sys

        with tool_errors(f"compose logs -f ({self.project})"):
            for _source, line in self._client.compose.logs(
                    list(services), tail=None if tail is None else str(tail), follow=True,
                    stream=True):
                sys.stdout.write(line.decode(errors="replace"))
                sys.stdout.flush()

    def kill(self, services: Sequence[str], signal: str = "SIGKILL") -> None:
        """Send `signal` to the services' containers."""
        with tool_errors(f"compose kill {' '.join(services)}"):
            self._client.compose.kill(list(services), signal=signal)

    def start(self, services: Sequence[str]) -> None:
        """Start existing, stopped containers of the services."""
        with tool_errors(f"compose start {' '.join(services)}"):
            self._client.compose.start(list(services))

    def config(self) -> dict[str, Any]:
        """The resolved project model (`compose config --format json`)."""
        with tool_errors(f"compose config ({self.project})"):
            data = self._client.compose.config(return_json=True)
        assert isinstance(data, dict)
        return data


def parse_ps(text: str) -> list[ServiceState]:
    """Parse `compose ps --format json` (a JSON array, or one object per line)."""
    text = text.strip()
    if not text:
        return []
    rows: list[dict[str, Any]]
    if text.startswith("["):
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        ServiceState(
            service=str(r.get("Service", "")), name=str(r.get("Name", "")),
            state=str(r.get("State", "")), health=str(r.get("Health", "")),
            exit_code=int(r.get("ExitCode", 0) or 0),
        )
        for r in rows
    ]
