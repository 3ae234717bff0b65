"""Health probes during a scenario: the gateway's /hello (and /ready where the running
release serves it) and the pump's /health, each sampled every PROBE_S in its own thread
from the load's start to its end, at the addresses the engine gives (the published
gateway the load uses; the pump's container where this host reaches it). Bounded: at
most one sample per slot, each within the chart's liveness timeout, and none after the
deadline. What an endpoint is and what its answer is based on: the Tyk tables."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from stackctl.clients.health import HealthClient, HealthSample
from stackctl.tyk.releases import looks_like_release
from stackctl.tyk.tables import (
    CHART_LIVENESS,
    HELLO,
    PUMP_HEALTH,
    READY,
    READY_ABSENT,
    READY_PRESENT,
    HealthEndpoint,
)

PROBE_S = 0.1
PROBE_TIMEOUT_S = float(CHART_LIVENESS.timeout_s)
"""A sample that takes longer is a failed liveness probe anyway."""


@dataclass(frozen=True)
class ProbeTarget:
    """One endpoint to sample, at `base_url`."""

    endpoint: HealthEndpoint
    base_url: str


def ready_served(release: str | None, ask: HealthClient | None = None) -> tuple[bool, str]:
    """Whether the running gateway serves /ready, and how that was decided: the release
    table (absent up to 5.8.1, present in the releases TT-17486 names), else one GET
    before the fault (404: absent)."""
    if release and looks_like_release(release):
        if READY_ABSENT.contains(release):
            return False, f"Tyk {release} has no {READY.path} (release table)"
        if READY_PRESENT.contains(release):
            return True, f"Tyk {release} serves {READY.path} (release table)"
    if ask is None:
        return False, f"Tyk {release or 'release unknown'}: {READY.path} not asked"
    sample = ask.sample(READY.path)
    there = sample.status not in (0, 404)
    return there, (f"Tyk {release or 'release unknown'}: {READY.path} answered "
                   f"{sample.status or 'nothing'} before the fault")


def targets(gateway_url: str, pump_url: str | None, ready: bool
            ) -> tuple[list[ProbeTarget], dict[str, str]]:
    """The endpoints to sample, and why any of the three is not sampled."""
    out = [ProbeTarget(HELLO, gateway_url)]
    skipped: dict[str, str] = {}
    if ready:
        out.append(ProbeTarget(READY, gateway_url))
    else:
        skipped[READY.name] = "not served by this release"
    if pump_url:
        out.append(ProbeTarget(PUMP_HEALTH, pump_url))
    else:
        skipped[PUMP_HEALTH.name] = "the pump is not reachable from this host (engine)"
    return out, skipped


@dataclass
class Prober:
    """Samples every target every PROBE_S from `start()` for `span_s` (at most
    span_s / PROBE_S + 1 samples each)."""

    targets: list[ProbeTarget]
    span_s: float
    samples: dict[str, list[HealthSample]] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, origin: float) -> None:
        """Begin at `origin` (time.time(): the load's start)."""
        for t in self.targets:
            self.samples[t.endpoint.name] = []
            th = threading.Thread(target=self._run, args=(t, origin), daemon=True,
                                  name=f"drill-probe-{t.endpoint.name}")
            self._threads.append(th)
            th.start()

    def _run(self, target: ProbeTarget, origin: float) -> None:
        limit = math.floor(self.span_s / PROBE_S) + 1
        out = self.samples[target.endpoint.name]
        with HealthClient(target.base_url, PROBE_TIMEOUT_S) as client:
            slot = 0
            while slot < limit and not self._stop.is_set():
                due = origin + slot * PROBE_S
                if due > time.time():
                    self._stop.wait(due - time.time())
                    continue
                out.append(client.sample(target.endpoint.path))
                slot = max(slot + 1, math.ceil((time.time() - origin) / PROBE_S))

    def stop(self) -> dict[str, list[HealthSample]]:
        """Stop sampling and return the series."""
        self._stop.set()
        for th in self._threads:
            th.join(timeout=PROBE_TIMEOUT_S + 1)
        return self.samples


def series(samples: list[HealthSample], origin: float) -> list[list[Any]]:
    """JSON rows `[offset_s, status, says, latency_ms]`."""
    return [[round(s.at - origin, 3), s.status, s.says, round(s.latency_s * 1000, 1)]
            for s in samples]
