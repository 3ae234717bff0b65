"""The drill's scenarios, one module each, by name."""

from __future__ import annotations

from stackctl.drill.scenarios import (
    failover,
    kill_primary,
    kill_replica,
    partition_primary,
    pause_primary,
    restart_gateway,
    stop_primary,
    stop_pump,
)
from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.errors import ConfigError

SCENARIOS: dict[str, Scenario] = {m.SCENARIO.name: m.SCENARIO for m in (
    kill_primary, stop_primary, pause_primary, partition_primary, failover, kill_replica,
    restart_gateway, stop_pump)}
DEFAULT = ("kill-primary",)

__all__ = ["DEFAULT", "SCENARIOS", "Scenario", "Target", "scenarios"]


def scenarios(names: list[str] | tuple[str, ...]) -> list[Scenario]:
    """The named scenarios in order (DEFAULT when none); ConfigError (exit 2) naming an
    unknown one and listing the valid ones."""
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise ConfigError(f"scenario {unknown[0]!r}", "unknown",
                          f"valid: {', '.join(SCENARIOS)}")
    return [SCENARIOS[n] for n in (names or DEFAULT)]
