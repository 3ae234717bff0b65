"""The Docker types the wrappers, engines and actions share: a command's result, `Exec`, a
container's state, a bounded docker CLI run, Docker's environment format."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from stackctl.errors import ToolError


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

    def last_error(self, default: str = "failed") -> str:
        """The last line of stderr (`default` when there is none)."""
        return (self.stderr.strip().splitlines() or [default])[-1]


def flags(flag: str, pairs: Mapping[str, object] | None) -> list[str]:
    """`flag K=V` once per pair (`--env`, `--label`)."""
    return [part for k, v in (pairs or {}).items() for part in (flag, f"{k}={v}")]


def binds(mounts: Sequence[tuple[str, str]], kind: str = "bind") -> list[str]:
    """`--mount` of each (source, target) read-only."""
    return [part for source, target in mounts for part in (
        "--mount", f"type={kind},source={source},target={target},readonly")]


def run_bounded(cmd: list[str], what: str, timeout: float) -> ExecResult:
    """Run a docker CLI command for at most `timeout` seconds (exit 124 when cut short)."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return ExecResult(124, "", f"{what}: no answer within {timeout:g} s")
    except FileNotFoundError:
        raise ToolError(f"{what}: {cmd[0]} not found; install docker.io") from None
    return ExecResult(done.returncode, done.stdout, done.stderr)


def parse_env(text: str) -> dict[str, str]:
    """A spec's `Env` as JSON (`["K=V", ...]` or null) -> {K: V}."""
    try:
        items = json.loads(text.strip() or "null") or []
    except ValueError:
        raise ToolError(f"docker service inspect: unreadable env {text.strip()[:80]!r}") from None
    return {k: v for k, _, v in (str(item).partition("=") for item in items)}


class Exec(Protocol):
    """Runs a command in a service's container (an engine, the drill's gate, a test's fake)."""

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run `command` (exit code returned, not raised; 124 when cut short)."""


@dataclass(frozen=True)
class ServiceState:
    """One container of the project, as `compose ps` reports it."""

    service: str
    name: str
    state: str  # running | exited | created | ...
    health: str  # healthy | unhealthy | starting | "" (no healthcheck)
    exit_code: int
    started_at: float = 0.0  # epoch seconds of the last start; 0 when not known
