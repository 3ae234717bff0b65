"""kill-replica: SIGKILL a replica (no slots move; its primary loses its standby)."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target, start


def _inject(faults: Faults, target: Target) -> None:
    faults.kill([target.service], signal="SIGKILL")


SCENARIO = Scenario("kill-replica", "SIGKILL a replica (docker kill)", "replica",
                    _inject, start)
