"""What the user asks of a smoke run (`stackctl smoke`'s flags, `up`'s short smoke)."""

from __future__ import annotations

from dataclasses import dataclass

from stackctl.errors import ConfigError
from stackctl.smoke.slo import Slo

LOAD_ENGINES = ("builtin", "wrk")
DEFAULT_DURATION_S = 20.0
"""Long enough to be past the warm-up (the first fifth) and for connection churn or a
growing queue to show in the steady check."""


@dataclass(frozen=True)
class SmokeOptions:
    """What the user asked for (None: the default; `engine` None: the engine's own way to load)."""

    duration_s: float = DEFAULT_DURATION_S
    connections: int = 16
    rate: float | None = None
    keys: int | None = None
    engine: str | None = None
    slos: tuple[Slo, ...] = ()
    analytics_wait_s: float | None = None

    def validate(self) -> None:
        """ConfigError (exit 2) on a value out of range."""
        checks = [("--duration", 0.5 <= self.duration_s <= 600, "between 0.5 and 600 s"),
                  ("--connections", 1 <= self.connections <= 4096, "between 1 and 4096"),
                  ("--rate", self.rate is None or 0 <= self.rate <= 1_000_000,
                   "between 0 and 1000000 (0: as fast as possible)"),
                  ("--keys", self.keys is None or 2 <= self.keys <= 1000, "between 2 and 1000"),
                  ("--engine", self.engine is None or self.engine in LOAD_ENGINES,
                   "builtin or wrk")]
        for flag, ok, want in checks:
            if not ok:
                raise ConfigError(flag, "out of range", f"give a value {want}")
