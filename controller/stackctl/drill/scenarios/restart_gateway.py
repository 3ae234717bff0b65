"""restart-gateway: restart the gateway (Compose: `docker restart` of the published
gateway container; swarm: `docker service update --force`, Swarm's restart of a service,
every gateway task replaced one at a time, stop-first)."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target, start

STOP_TIMEOUT_S = 10


def _inject(faults: Faults, target: Target) -> None:
    faults.restart([target.service], timeout=STOP_TIMEOUT_S)


def _restore(faults: Faults, target: Target) -> None:
    states = {s.service: s.state for s in faults.states([target.service])}
    if states.get(target.service) != "running":
        start(faults, target)


SCENARIO = Scenario("restart-gateway", "restart the gateway (docker restart)", "gateway",
                    _inject, _restore, skip_target=False, acts_on="service")
