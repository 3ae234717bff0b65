"""restart-gateway: restart the published gateway container (docker restart)."""

from stackctl.drill.scenarios.base import Scenario, Target, start
from stackctl.runtime.compose import Compose

STOP_TIMEOUT_S = 10


def _inject(compose: Compose, target: Target) -> None:
    compose.restart([target.service], timeout=STOP_TIMEOUT_S)


def _restore(compose: Compose, target: Target) -> None:
    states = {s.service: s.state for s in compose.states([target.service])}
    if states.get(target.service) != "running":
        start(compose, target)


SCENARIO = Scenario("restart-gateway", "restart the gateway (docker restart)", "gateway",
                    _inject, _restore, skip_target=False)
