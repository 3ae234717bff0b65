"""pause-primary: freeze a primary (docker pause): connections to it hang, no RST."""

from stackctl.drill.scenarios.base import Scenario, Target
from stackctl.runtime.compose import Compose


def _inject(compose: Compose, target: Target) -> None:
    compose.pause([target.service])


def _restore(compose: Compose, target: Target) -> None:
    compose.unpause([target.service])


SCENARIO = Scenario("pause-primary", "freeze a primary (docker pause)", "primary",
                    _inject, _restore, loses_primary=True)
