"""The ordered steps of `stackctl up`, one list for every engine: the `steps` package's,
the smoke's and the fallback's (composed here, above the actions)."""

from __future__ import annotations

from stackctl.context import StackContext
from stackctl.diagnose.run import diagnose_stack
from stackctl.fallback.step import Deferred, Fallback
from stackctl.pipeline import Step
from stackctl.smoke.step import Smoke
from stackctl.steps.bootstrap import Bootstrap
from stackctl.steps.certs import Certificates
from stackctl.steps.deploy import Deploy
from stackctl.steps.external import ExternalRedis
from stackctl.steps.health import Health
from stackctl.steps.preflight import Preflight
from stackctl.steps.pro_services import ProServices
from stackctl.steps.record import Record
from stackctl.steps.redis import RedisCluster
from stackctl.steps.render import Render
from stackctl.steps.tyk import TykComponents


def up_steps(smoke: bool = True, external: bool = False) -> list[Step[StackContext]]:
    """preflight -> [external-redis] -> certificates -> render -> deploy -> redis-cluster ->
    pro-services -> tyk -> health -> fallback (only after a tyk or health failure) ->
    bootstrap -> record -> smoke (unless told not). Recorded before the smoke, so a failed
    smoke does not make the next `up` recreate a healthy stack; external skips the PKI and
    redis-cluster."""
    steps: list[Step[StackContext]] = [Preflight(), *([ExternalRedis()] if external else []),
                                      Certificates(), Render(), Deploy(), RedisCluster(),
                                      ProServices(), Deferred(TykComponents()),
                                      Deferred(Health()),
                                      Fallback(diagnose_stack), Bootstrap(), Record()]
    if smoke:
        steps.append(Smoke())
    return steps

