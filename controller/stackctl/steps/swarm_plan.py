"""The ordered steps of `stackctl up` on engine = swarm."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.pipeline import Step
from stackctl.steps.certs import Certificates
from stackctl.steps.plan import Record
from stackctl.steps.swarm_bootstrap import SwarmBootstrap
from stackctl.steps.swarm_deploy import SwarmDeploy
from stackctl.steps.swarm_health import SwarmHealth
from stackctl.steps.swarm_preflight import SwarmPreflight
from stackctl.steps.swarm_redis import SwarmRedisCluster
from stackctl.steps.swarm_render import SwarmRender
from stackctl.steps.swarm_tyk import SwarmTykComponents


class SwarmSmoke:
    """A short smoke from the load service's tasks; `up` fails when a check fails."""

    name = "smoke"

    def run(self, ctx: StackContext) -> str:
        from stackctl.errors import StepError
        from stackctl.smoke.run import default_keys
        from stackctl.smoke.swarm_run import run_swarm_smoke
        from stackctl.steps.smoke import CONNECTIONS, DURATION_S, RATE

        # As many keys as the compose smoke: their records must reach every primary.
        report = run_swarm_smoke(ctx, DURATION_S, CONNECTIONS, RATE,
                                 keys=default_keys(ctx.model.settings.redis.shards))
        failed = [c for c in report.checks if not c["passed"]]
        if failed:
            raise StepError(self.name, "; ".join(f"{c['name']}: {c['detail']}"
                                                 for c in failed[:2]),
                            "run `stackctl smoke` for the whole report")
        return report.summary()


def swarm_up_steps(smoke: bool = True) -> list[Step[StackContext]]:
    """preflight -> certificates -> render -> deploy -> redis-cluster -> tyk -> health ->
    bootstrap -> record (-> smoke, from the load service's tasks). No fallback ladder:
    the REDIGOCLUSTER_SHARDCOUNT rungs recreate Compose services."""
    steps: list[Step[StackContext]] = [SwarmPreflight(), Certificates(), SwarmRender(),
                                      SwarmDeploy(), SwarmRedisCluster(),
                                      SwarmTykComponents(), SwarmHealth(), SwarmBootstrap(),
                                      Record()]
    if smoke:
        steps.append(SwarmSmoke())
    return steps
