"""kill-primary: SIGKILL a primary (the node dies; its replica must be elected)."""

from stackctl.drill.scenarios.base import Scenario, Target, start
from stackctl.runtime.compose import Compose


def _inject(compose: Compose, target: Target) -> None:
    compose.kill([target.service], signal="SIGKILL")


SCENARIO = Scenario("kill-primary", "SIGKILL a primary (docker kill)", "primary",
                    _inject, start, loses_primary=True)
