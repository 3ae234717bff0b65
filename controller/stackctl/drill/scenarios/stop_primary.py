"""stop-primary: stop a primary gracefully (SIGTERM: Redis shuts down cleanly)."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target, start

STOP_TIMEOUT_S = 10


def _inject(faults: Faults, target: Target) -> None:
    faults.stop([target.service], timeout=STOP_TIMEOUT_S)


SCENARIO = Scenario("stop-primary", "stop a primary gracefully (docker stop)", "primary",
                    _inject, start, loses_primary=True)
