"""kill-replica: SIGKILL a replica (no slots move; its primary loses its standby)."""

from stackctl.drill.scenarios.base import Scenario, Target, start
from stackctl.runtime.compose import Compose


def _inject(compose: Compose, target: Target) -> None:
    compose.kill([target.service], signal="SIGKILL")


SCENARIO = Scenario("kill-replica", "SIGKILL a replica (docker kill)", "replica",
                    _inject, start)
