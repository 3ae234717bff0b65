"""stop-pump: stop the pump (docker stop) for the rest of the load: analytics records
pile up in Redis; restored by starting it, then the backlog is timed until drained."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target

STOP_TIMEOUT_S = 10


def _inject(faults: Faults, target: Target) -> None:
    faults.stop([target.service], timeout=STOP_TIMEOUT_S)


def _restore(faults: Faults, target: Target) -> None:
    states = {s.service: s.state for s in faults.states([target.service])}
    if states.get(target.service) != "running":
        faults.start([target.service])


SCENARIO = Scenario("stop-pump", "stop the pump (docker stop), then drain its backlog",
                    "pump", _inject, _restore, skip_target=False)
