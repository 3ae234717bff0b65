"""kill-primary: SIGKILL a primary (the node dies; its replica must be elected)."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target, start


def _inject(faults: Faults, target: Target) -> None:
    faults.kill([target.service], signal="SIGKILL")


SCENARIO = Scenario("kill-primary", "SIGKILL a primary (docker kill)", "primary",
                    _inject, start, loses_primary=True)
