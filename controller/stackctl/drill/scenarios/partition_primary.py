"""partition-primary: take a primary off the internal Redis network (docker network
disconnect): it keeps running but nobody reaches it and it reaches nobody; restored by
connecting it again at its pinned address."""

from stackctl.drill.scenarios.base import Faults, Scenario, Target
from stackctl.names import REDIS_NETWORK


def pinned_ip(target: Target) -> str:
    """The target's address on the Redis network (its `ip:port` without the port)."""
    return target.addr.rpartition(":")[0]


def _inject(faults: Faults, target: Target) -> None:
    faults.disconnect(target.service, REDIS_NETWORK)


def _restore(faults: Faults, target: Target) -> None:
    if REDIS_NETWORK not in faults.networks_of(target.service):
        faults.connect(target.service, REDIS_NETWORK, pinned_ip(target))


SCENARIO = Scenario("partition-primary",
                    "disconnect a primary from the Redis network (docker network "
                    "disconnect)", "primary", _inject, _restore, loses_primary=True)
