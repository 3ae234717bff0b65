"""stop-primary: stop a primary gracefully (SIGTERM: Redis shuts down cleanly)."""

from stackctl.drill.scenarios.base import Scenario, Target, start
from stackctl.runtime.compose import Compose

STOP_TIMEOUT_S = 10


def _inject(compose: Compose, target: Target) -> None:
    compose.stop([target.service], timeout=STOP_TIMEOUT_S)


SCENARIO = Scenario("stop-primary", "stop a primary gracefully (docker stop)", "primary",
                    _inject, start, loses_primary=True)
