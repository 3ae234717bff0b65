"""pause-primary: freeze a primary (docker pause): connections to it hang, no RST."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target


def _inject(faults: Faults, target: Target) -> None:
    faults.pause([target.service])


def _restore(faults: Faults, target: Target) -> None:
    faults.unpause([target.service])


SCENARIO = Scenario("pause-primary", "freeze a primary (docker pause)", "primary",
                    _inject, _restore, loses_primary=True)
