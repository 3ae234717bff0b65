"""A service's health decided by its own healthcheck while Docker still says `starting`.

The stack's healthchecks run once a minute, so an idle stack costs next to nothing; Engine
20.10 has no `start_interval`, so Docker reports `starting` for up to a minute after each
start. Readers that cannot wait that long (the start-up watch, the health step, the warm
re-up's check, `status`) run the service's own test with `docker exec` instead.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

from stackctl.runtime.compose import ExecResult, ServiceState
from stackctl.state import read_json

PROBE_TIMEOUT_S = 5.0
"""At most this long per probe (the stack's healthchecks allow 5 s)."""


class Prober(Protocol):
    """What a probe needs: `runtime.compose.Compose` or a fake."""

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run a command in a service's container."""


def exec_argv(test: Sequence[str] | str | None) -> list[str] | None:
    """A Compose healthcheck `test` as a `docker exec` command (None: no test)."""
    if not test:
        return None
    if isinstance(test, str):
        return ["sh", "-c", test]
    kind, *rest = test
    if kind == "CMD" and rest:
        return list(rest)
    if kind == "CMD-SHELL" and rest:
        return ["sh", "-c", " ".join(rest)]
    return None  # NONE, or nothing to run


def healthchecks(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """service -> its healthcheck as a command, for the services of a compose model that
    have one."""
    out: dict[str, list[str]] = {}
    for name, service in (doc.get("services") or {}).items():
        check = service.get("healthcheck") or {}
        argv = None if check.get("disable") else exec_argv(check.get("test"))
        if argv:
            out[name] = argv
    return out


def read_healthchecks(compose_file: Path) -> dict[str, list[str]]:
    """`healthchecks` of a rendered (JSON) compose file; empty when it cannot be read."""
    try:
        data = read_json(compose_file)
    except ValueError:
        return {}
    return healthchecks(data) if isinstance(data, dict) else {}


def _index(state: ServiceState) -> int:
    """The replica number Compose put at the end of the container name."""
    tail = state.name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 1


def probe(target: Prober, state: ServiceState, command: Sequence[str],
          timeout: float = PROBE_TIMEOUT_S) -> bool:
    """The service's healthcheck passes now, run in its container."""
    return target.exec(state.service, list(command), index=_index(state), timeout=timeout).ok


def probed(target: Prober, states: Sequence[ServiceState],
           checks: Mapping[str, Sequence[str]]) -> list[ServiceState]:
    """`states` with each running container Docker still calls `starting` marked `healthy`
    when its service's healthcheck passes now (the probes run at once); the others as
    they were."""
    pending = [i for i, s in enumerate(states)
               if s.state == "running" and s.health == "starting" and s.service in checks]
    if not pending:
        return list(states)
    with ThreadPoolExecutor(max_workers=min(8, len(pending))) as pool:
        passed = list(pool.map(lambda i: probe(target, states[i], checks[states[i].service]),
                               pending))
    out = list(states)
    for i, ok in zip(pending, passed, strict=True):
        if ok:
            out[i] = dataclasses.replace(states[i], health="healthy")
    return out
