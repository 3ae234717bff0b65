"""A service's health decided now: its own healthcheck while Docker still says `starting`
(checks run once a minute; Engine 20.10 has no `start_interval`), and an HTTP probe from
a neighbour for the shell-less services. Their `x-probe` entry (Compose ignores `x-`
keys) GETs `host:port/path`, passing when the answer holds `expect`, with bash's /dev/tcp
in the `via` service's container; Docker says `""` for them, the probe `healthy` or
`starting`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from stackctl.runtime.docker_cli import Exec, ServiceState
from stackctl.state import read_json

PROBE_TIMEOUT_S = 5.0
"""At most this long per probe (the stack's healthchecks allow 5 s)."""
PROBE_KEY = "x-probe"
"""A compose service's HTTP probe: {"via", "host", "port", "path", "expect"}."""


@dataclasses.dataclass(frozen=True)
class Check:
    """A service's health test as a command, run in its own container or in `via`'s."""

    argv: tuple[str, ...]
    via: str | None = None


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


def http_argv(host: str, port: int, path: str, expect: str) -> list[str]:
    """A bash command GETting `http://host:port/path`, passing when the answer holds `expect`."""
    script = (f'exec 3<>/dev/tcp/{host}/{port} && '
              f'printf "GET {path} HTTP/1.0\\r\\nHost: {host}\\r\\n\\r\\n" >&3 && '
              f"grep -qF '{expect}' <&3")
    return ["bash", "-c", script]


def http_probe(via: str, host: str, port: int, path: str, expect: str) -> dict[str, Any]:
    """A compose service's `x-probe` entry (see the module's docstring)."""
    return {"via": via, "host": host, "port": port, "path": path, "expect": expect}


def _http_check(probe: Mapping[str, Any]) -> Check:
    return Check(tuple(http_argv(str(probe["host"]), int(probe["port"]), str(probe["path"]),
                                 str(probe["expect"]))), str(probe["via"]))


def healthchecks(doc: Mapping[str, Any]) -> dict[str, Check]:
    """service -> its health test (an `x-probe`, else a Docker healthcheck), where it has one."""
    out: dict[str, Check] = {}
    for name, service in (doc.get("services") or {}).items():
        if isinstance(service.get(PROBE_KEY), dict):
            out[name] = _http_check(service[PROBE_KEY])
            continue
        check = service.get("healthcheck") or {}
        argv = None if check.get("disable") else exec_argv(check.get("test"))
        if argv:
            out[name] = Check(tuple(argv))
    return out


def read_healthchecks(compose_file: Path) -> dict[str, Check]:
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


def probe(target: Exec, state: ServiceState, check: Check,
          timeout: float = PROBE_TIMEOUT_S) -> bool:
    """The service's test passes now, run in its container (or in `check.via`'s)."""
    if check.via:
        return target.exec(check.via, list(check.argv), timeout=timeout).ok
    return target.exec(state.service, list(check.argv), index=_index(state),
                       timeout=timeout).ok


def probed(target: Exec, states: Sequence[ServiceState],
           checks: Mapping[str, Check]) -> list[ServiceState]:
    """`states` with running containers Docker calls `starting`/`unhealthy` (a minute-old verdict)
    `healthy` when their test passes now, probed services' as their probe says; others kept."""
    def wanted(s: ServiceState) -> bool:
        check = checks.get(s.service)
        return (s.state == "running" and check is not None
                and (s.health in ("starting", "unhealthy")
                     or (s.health == "" and check.via is not None)))

    pending = [i for i, s in enumerate(states) if wanted(s)]
    if not pending:
        return list(states)
    with ThreadPoolExecutor(max_workers=min(8, len(pending))) as pool:
        passed = list(pool.map(lambda i: probe(target, states[i], checks[states[i].service]),
                               pending))
    out = list(states)
    for i, ok in zip(pending, passed, strict=True):
        failed = "unhealthy" if states[i].health == "unhealthy" else "starting"
        out[i] = dataclasses.replace(states[i], health="healthy" if ok else failed)
    return out
