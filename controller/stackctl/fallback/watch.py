"""Poll the components until each one is decided (healthy or failed)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from stackctl.fallback.detect import Detection, classify
from stackctl.runtime.compose import ServiceState
from stackctl.tyk.schema import Component

LOG_TAIL = 200
POLL_S = 1.0
GRACE_S = 12.0
"""How long a component may log a failure signature before it counts (go-redis retries)."""
SETTLE_S = 3.0
"""Once all look healthy, wait this long and read the logs once more (the pump's health
endpoint says ok while its purge loop fails)."""


class Observable(Protocol):
    """What the watch reads: `runtime.compose.Compose` or a fake."""

    def ps(self) -> list[ServiceState]:
        """Every container of the project."""

    def logs(self, services: Sequence[str] = (), tail: int | None = None) -> str:
        """The services' logs."""


def _states(target: Observable) -> dict[str, ServiceState]:
    return {s.service: s for s in target.ps()}


def _round(target: Observable, releases: Mapping[Component, str], elapsed: float,
           timeout: float, grace: float) -> dict[Component, Detection | None]:
    states = _states(target)
    out: dict[Component, Detection | None] = {}
    for component, release in releases.items():
        log = target.logs([component], tail=LOG_TAIL)
        out[component] = classify(component, release, states.get(component), log, elapsed,
                                  timeout, grace)
    return out


def watch(target: Observable, releases: Mapping[Component, str], timeout: float,
          grace: float = GRACE_S, poll: float = POLL_S, settle: float = SETTLE_S,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> list[Detection]:
    """Decide every component in `releases`: return early on the first failure, or when
    all are healthy and stay so for `settle` seconds."""
    started = clock()
    while True:
        elapsed = clock() - started
        verdicts = _round(target, releases, elapsed, timeout, grace)
        failed = [d for d in verdicts.values() if d is not None and not d.ok]
        if failed or all(d is not None for d in verdicts.values()):
            if failed:
                return _fill(verdicts, releases)
            sleep(settle)
            again = _round(target, releases, max(elapsed + settle, grace), timeout, grace)
            return _fill({c: again[c] or verdicts[c] for c in releases}, releases)
        sleep(poll)


def _fill(verdicts: Mapping[Component, Detection | None],
          releases: Mapping[Component, str]) -> list[Detection]:
    """Undecided components (another failed first) are reported as still starting."""
    return [verdicts[c] or Detection(c, False, "pending", "still starting when another failed")
            for c in releases]
