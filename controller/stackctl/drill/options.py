"""What a drill is asked to do, checked before the stack is touched."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from stackctl.drill.slo import DrillSlo
from stackctl.drill.vary import Vary
from stackctl.errors import ConfigError

REQUEST_TIMEOUT_S = 2.0
"""A request unanswered this long counts as a timeout (class `error`)."""
MAX_CONNECTIONS = 512
KEYS = 4
AFTER_LOAD_POLL_S = 60.0
"""How long past the load the cluster's recovery is still awaited."""


@dataclass(frozen=True)
class DrillOptions:
    """`rate` requests/s for `duration_s`, the fault at `at_s`, each scenario `repeat`
    times."""

    scenarios: tuple[str, ...]
    rate: float = 200.0
    duration_s: float = 30.0
    at_s: float = 8.0
    repeat: int = 1
    out: Path | None = None
    slos: tuple[DrillSlo, ...] = field(default_factory=tuple)
    allow_data_loss: bool = False
    varies: tuple[Vary, ...] = field(default_factory=tuple)

    @property
    def connections(self) -> int:
        """Enough connections that requests hanging for the whole timeout do not slow
        the schedule: rate x timeout, plus a margin."""
        return min(MAX_CONNECTIONS, math.ceil(self.rate * REQUEST_TIMEOUT_S) + 8)

    def validate(self) -> None:
        """ConfigError (exit 2) for an impossible request."""
        if not self.rate > 0:
            raise ConfigError("--rate", f"must be > 0 requests/s, not {self.rate:g}",
                              "the drill runs an open model at a constant rate")
        if self.duration_s < 2:
            raise ConfigError("--duration", f"{self.duration_s:g} s is too short",
                              "give at least 2 s")
        if not 0 < self.at_s < self.duration_s:
            raise ConfigError("--at", f"{self.at_s:g} s is not inside --duration "
                              f"{self.duration_s:g} s", "the fault must come after the "
                              "load starts and before it ends")
        if self.repeat < 1:
            raise ConfigError("--repeat", f"must be >= 1, not {self.repeat}")
