"""A Compose project's services through python-on-whales; failures become one-line
`ToolError`s that keep the command and its stderr."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stackctl.errors import ToolError
from stackctl.names import container_name, network_name
from stackctl.runtime._client import docker_client, tool_errors
from stackctl.runtime.docker_cli import ExecResult, ServiceState, flags, parse_env, run_bounded

if TYPE_CHECKING:
    from python_on_whales import DockerClient


class Compose:
    """One Compose project: its name and files."""

    def __init__(self, project: str, files: Sequence[Path], project_dir: Path | None = None):
        self.project = project
        self.files = [Path(f) for f in files]
        self._client: DockerClient = docker_client(project, self.files, project_dir=project_dir)

    def _run(self, args: Sequence[str], what: str, compose: bool = True,
             timeout: float | None = None) -> ExecResult:
        from python_on_whales.exceptions import DockerException
        from python_on_whales.utils import run

        config = self._client.client_config
        base = config.docker_compose_cmd if compose else config.docker_cmd
        cmd = [str(a) for a in base] + list(args)
        if timeout is not None:
            return run_bounded(cmd, what, timeout)
        with tool_errors(what):
            try:
                out, err = run(cmd, return_stderr=True)
            except DockerException as exc:
                return ExecResult(exc.return_code, exc.stdout or "", exc.stderr or "")
        return ExecResult(0, str(out), str(err))

    def container(self, service: str, index: int = 1) -> str:
        """The container name Compose gives a service replica (no `container_name` set)."""
        return container_name(self.project, service, index)

    def env(self, service: str, index: int = 1) -> dict[str, str]:
        """A replica's environment as created (Config.Env: a shell-less image answers too)."""
        name = self.container(service, index)
        result = self._run(["inspect", "--type", "container", "--format",
                            "{{json .Config.Env}}", name], f"docker inspect {name}",
                           compose=False)
        if not result.ok:
            raise ToolError(f"docker inspect {name}: {result.last_error()}")
        return parse_env(result.stdout)

    def up(self, services: Sequence[str] | None = None, wait: bool = True,
           timeout: int | None = None, remove_orphans: bool = False,
           no_deps: bool = False) -> None:
        """`up --detach [--wait] [--remove-orphans] [--no-deps]` (`wait`: until healthy)."""
        with tool_errors(f"compose up ({self.project})"):
            self._client.compose.up(list(services) if services else None, detach=True,
                                    wait=wait, quiet=True, wait_timeout=timeout,
                                    remove_orphans=remove_orphans,
                                    dependencies=not no_deps)

    def down(self, volumes: bool = False) -> None:
        """`down [--volumes] --remove-orphans`."""
        with tool_errors(f"compose down ({self.project})"):
            self._client.compose.down(remove_orphans=True, volumes=volumes, quiet=True)

    def ps(self) -> list[ServiceState]:
        """Every container of the project, running or not, read with `docker ps` on Compose's
        labels (`compose ps` loads the project first: 0.35 s against 0.04 s here)."""
        label = "label=com.docker.compose."
        result = self._run(["ps", "--all", "--no-trunc",
                            "--filter", f"{label}project={self.project}",
                            "--filter", f"{label}oneoff=False", "--format", PS_FORMAT],
                           f"docker ps ({self.project})", compose=False)
        if not result.ok:
            raise ToolError(f"docker ps ({self.project}): {result.stderr.strip()}")
        return sorted(parse_docker_ps(result.stdout), key=lambda s: (s.service, s.name))

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run `command` in a running service container (no TTY) by `docker exec` (`compose exec`
        loads the project for about a second per call). The exit code is returned, not raised;
        a missing or stopped container is a failed result too, no answer in `timeout` exit 124."""
        return self._run(["exec", *flags("--env", env), self.container(service, index), *command],
                         f"docker exec {service}", compose=False, timeout=timeout)

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        """Each named service's first container, by one `docker inspect` (none: left out)."""
        fields = ('{{index .Config.Labels "com.docker.compose.service"}}', "{{.Name}}",
                  "{{.State.Status}}", "{{if .State.Health}}{{.State.Health.Status}}{{end}}",
                  "{{.State.ExitCode}}", "{{.State.StartedAt}}")
        result = self._run(["inspect", "--type", "container", "--format", "\t".join(fields),
                            *(self.container(s) for s in services)],
                           f"docker inspect ({self.project})", compose=False)
        out = []  # exit 1 when one is missing: the others are still on stdout
        for line in result.stdout.splitlines():
            parts = line.split("\t")
            if len(parts) == len(fields):
                service, name, state, health, code, started = parts
                out.append(ServiceState(service, name.lstrip("/"), state, health,
                                        int(code or 0), _epoch(started)))
        return out

    def service_log(self, service: str, tail: int | None = None) -> str:
        """One service's log, stdout and stderr in time order; "" without a container."""
        args = ["logs", "--timestamps", *(["--tail", str(tail)] if tail is not None else []),
                self.container(service)]
        result = self._run(args, f"docker logs {service}", compose=False)
        if not result.ok:
            return ""
        # Docker's timestamps are fixed-width RFC 3339: sorting the text sorts the time.
        lines = sorted(result.stdout.splitlines() + result.stderr.splitlines(),
                       key=lambda line: line.partition(" ")[0])
        return "".join(line.partition(" ")[2] + "\n" for line in lines)

    def logs(self, services: Sequence[str] = (), tail: int | None = None) -> str:
        """The services' logs (all services when none are named)."""
        with tool_errors(f"compose logs ({self.project})"):
            out = self._client.compose.logs(list(services), tail=None if tail is None
                                            else str(tail), no_log_prefix=len(services) == 1)
        return str(out)

    def follow_logs(self, services: Sequence[str] = (), tail: int | None = None) -> None:
        """Stream the services' logs to stdout until interrupted."""
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

    def stop(self, services: Sequence[str], timeout: int | None = None) -> None:
        """Stop the services' containers (SIGTERM, then SIGKILL after `timeout` seconds)."""
        with tool_errors(f"compose stop {' '.join(services)}"):
            self._client.compose.stop(list(services), timeout=timeout)

    def pause(self, services: Sequence[str]) -> None:
        """Freeze the services' processes (`docker pause`: the container hangs)."""
        with tool_errors(f"compose pause {' '.join(services)}"):
            self._client.compose.pause(list(services))

    def unpause(self, services: Sequence[str]) -> None:
        """Thaw paused containers of the services."""
        with tool_errors(f"compose unpause {' '.join(services)}"):
            self._client.compose.unpause(list(services))

    def restart(self, services: Sequence[str], timeout: int | None = None) -> None:
        """Restart the services' containers (stop, then start)."""
        with tool_errors(f"compose restart {' '.join(services)}"):
            self._client.compose.restart(list(services), timeout=timeout)

    def network(self, name: str) -> str:
        """The Docker network Compose made for the project's network `name`."""
        return network_name(self.project, name)

    def disconnect(self, service: str, network: str) -> None:
        """Take the service's container off `network` (it runs on; peers see a partition)."""
        with tool_errors(f"docker network disconnect {network} {service}"):
            self._client.network.disconnect(self.network(network), self.container(service),
                                            force=True)

    def connect(self, service: str, network: str, ip: str) -> None:
        """Put the service's container back on the project network `network` at its pinned `ip`."""
        with tool_errors(f"docker network connect {network} {service}"):
            self._client.network.connect(self.network(network), self.container(service),
                                         ip=ip)

    def networks_of(self, service: str) -> dict[str, str]:
        """The project networks the service's container is on, by Compose name, with its address."""
        with tool_errors(f"docker inspect {service}"):
            info = self._client.container.inspect(self.container(service))
        prefix = network_name(self.project, "")
        nets = info.network_settings.networks or {}
        return {name[len(prefix):]: (net.ip_address or "") for name, net in nets.items()
                if name.startswith(prefix)}

    def service_log_since(self, service: str, since: float) -> str:
        """One service's log lines since `since` (epoch s), both streams; "" without a container."""
        result = self._run(["logs", "--since", f"{since:.9f}", self.container(service)],
                           f"docker logs {service}", compose=False)
        return result.stdout + result.stderr if result.ok else ""

    def config(self) -> dict[str, Any]:
        """The resolved project model (`compose config --format json`)."""
        with tool_errors(f"compose config ({self.project})"):
            data = self._client.compose.config(return_json=True)
        assert isinstance(data, dict)
        return data


def _epoch(stamp: str) -> float:
    """Docker's RFC 3339 time as epoch seconds; 0 for its zero time or nonsense."""
    try:
        value = datetime.fromisoformat(stamp.strip()).timestamp()
    except ValueError:
        return 0.0
    return max(value, 0.0)


PS_FORMAT = '{{.Label "com.docker.compose.service"}}\t{{.Names}}\t{{.State}}\t{{.Status}}'
"""`docker ps` columns parse_docker_ps reads."""
_HEALTH = (("(unhealthy)", "unhealthy"), ("(healthy)", "healthy"),
           ("(health: starting)", "starting"))


def parse_docker_ps(text: str) -> list[ServiceState]:
    """`docker ps --format PS_FORMAT` lines; health and exit code from the status column."""
    out = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 4:
            continue
        service, name, state, status = parts
        health = next((h for marker, h in _HEALTH if marker in status), "")
        code = re.match(r"(?:Exited|Restarting) \((-?\d+)\)", status)
        out.append(ServiceState(service, name, state, health, int(code[1]) if code else 0))
    return out
