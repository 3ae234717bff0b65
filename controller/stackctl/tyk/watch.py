"""Poll the components until each one is decided (healthy or failed); while Docker still
says `starting` (its healthchecks run once a minute), run the healthcheck now."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from stackctl.runtime.docker_cli import Exec, ServiceState
from stackctl.runtime.health import Check, probed
from stackctl.settings import Settings
from stackctl.state import read_json
from stackctl.tyk.detect import Detection, classify
from stackctl.tyk.schema import Component
from stackctl.tyk.support import pump_release, target_versions
from stackctl.tyk.tables import HEALTH_BEFORE_REDIS, SPECS

SETTLE_MARGIN_S = 1.0

LOG_TAIL = 200
POLL_S = 0.5
GRACE_S = 12.0
"""How long a component may log a failure signature before it counts (go-redis retries)."""


class Observable(Exec, Protocol):
    """What the watch reads (its `exec` runs the healthcheck probes): `Compose` or a fake."""

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        """The services' containers."""

    def service_log(self, service: str, tail: int | None = None) -> str:
        """One service's log."""


def _round(target: Observable, releases: Mapping[Component, str], elapsed: float,
           timeout: float, grace: float, checks: Mapping[str, Check]
           ) -> tuple[dict[str, ServiceState], dict[Component, Detection | None]]:
    """Every component's state and log read at once (probing Docker's `starting`), classified."""
    components = list(releases)
    with ThreadPoolExecutor(max_workers=len(components) + 1) as pool:
        states_call = pool.submit(target.states, components)
        log_calls = {c: pool.submit(target.service_log, c, LOG_TAIL) for c in components}
        states = {s.service: s for s in probed(target, states_call.result(), checks)}
        return states, {c: classify(c, release, states.get(c), log_calls[c].result(),
                                    elapsed, timeout, grace)
                        for c, release in releases.items()}


def watch(target: Observable, releases: Mapping[Component, str], timeout: float,
          grace: float = GRACE_S, poll: float = POLL_S,
          settle: Mapping[Component, float] | None = None,
          checks: Mapping[str, Check] | None = None,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep,
          wall: Callable[[], float] = time.time) -> list[Detection]:
    """Decide every component in `releases`: return on the first failure, or once all are
    healthy and each ran its `settle` seconds (`settle_times`), counted from the container's
    start when Docker tells it (`wall`: its clock), else from the round first seeing it
    healthy. `checks` (`runtime.health.read_healthchecks`) decide Docker's `starting`."""
    settle = settle or {}
    checks = checks or {}
    started = clock()
    healthy_since: dict[Component, float] = {}
    while True:
        elapsed = clock() - started
        states, verdicts = _round(target, releases, elapsed, timeout, grace, checks)
        failed = [d for d in verdicts.values() if d is not None and not d.ok]
        if failed:
            return _fill(verdicts, releases)
        waits: list[float] = []
        for c, verdict in verdicts.items():
            if verdict is None:
                healthy_since.pop(c, None)
                continue
            ran = elapsed - healthy_since.setdefault(c, elapsed)
            if c in states and states[c].started_at > 0:
                ran = max(ran, wall() - states[c].started_at)
            waits.append(settle.get(c, 0.0) - ran)
        if len(waits) == len(releases) and max(waits) <= 0:
            return _fill(verdicts, releases)
        sleep(min([poll, *(w for w in waits if w > 0)]))


def _fill(verdicts: Mapping[Component, Detection | None],
          releases: Mapping[Component, str]) -> list[Detection]:
    """Undecided components (another failed first) are reported as still starting."""
    return [verdicts[c] or Detection(c, False, "pending", "still starting when another failed")
            for c in releases]


def components(compose_file: Path, settings: Settings) -> dict[Component, str]:
    """The Redis-connected components in the rendered compose file, each with its release."""
    data = read_json(compose_file)
    services = data.get("services", {}) if isinstance(data, dict) else {}
    tyk, _ = target_versions(settings)
    releases: dict[Component, str] = {"gateway": tyk,
                                      "pump": pump_release(settings),
                                      "dashboard": tyk}
    return {c: releases[c] for c in SPECS if c in services}


def settle_times(settings: Settings) -> dict[Component, float]:
    """How long past healthy each component's log is still read (HEALTH_BEFORE_REDIS + margin)."""
    sections = {"gateway": settings.gateway, "pump": settings.pump}
    return {c: float(getattr(sections[c], name)) + SETTLE_MARGIN_S
            for c, name in HEALTH_BEFORE_REDIS.items() if c in sections}
