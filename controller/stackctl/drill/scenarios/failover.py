"""failover: a planned CLUSTER FAILOVER on a primary's replica (the maintenance case:
the replica catches up, then takes over; the old primary becomes its replica)."""

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.drill.scenarios.base import Faults, Scenario, Target, nothing
from stackctl.errors import ToolError

COMMAND = f'. {SCRIPTS_MOUNT}/lib.sh; rcli "127.0.0.1:${{STACKCTL_PORT:-6379}}" cluster failover'


def _inject(faults: Faults, target: Target) -> None:
    result = faults.exec(target.replica_service, ["sh", "-c", COMMAND], timeout=10)
    if not result.ok or "OK" not in result.stdout:
        why = (result.stderr or result.stdout).strip() or f"exit {result.returncode}"
        raise ToolError(f"CLUSTER FAILOVER on {target.replica_service}: {why}")


SCENARIO = Scenario("failover", "planned CLUSTER FAILOVER on a primary's replica",
                    "primary", _inject, nothing, skip_target=False,
                    acts_on="replica")
