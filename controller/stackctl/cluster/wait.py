"""Wait for the cluster to be ready by running the gate's rule (cluster-ready.sh) in the
gate, 0.1 s after each answer: the gate's own healthcheck runs once a minute (Engine
20.10 has no `start_interval`), so neither `compose up --wait` nor its Docker health is
waited on."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from stackctl.cluster.redis_conf import SCRIPTS_MOUNT
from stackctl.errors import StepError
from stackctl.names import GATE_SERVICE
from stackctl.runtime.docker_cli import Exec

POLL_S = 0.1
READY_SCRIPT = f"{SCRIPTS_MOUNT}/cluster-ready.sh"
GATE_GONE = ("is not running", "No such container")
"""What `docker exec` says when the gate container is not there to ask."""


class Gate(Exec, Protocol):
    """What the start needs: `runtime.compose.Compose` or a fake."""

    def up(self, services: Sequence[str] | None = None, wait: bool = True,
           timeout: int | None = None, remove_orphans: bool = False,
           no_deps: bool = False) -> None:
        """Start services."""


def wait_ready(gate: Exec, timeout: float, step: str = "redis-cluster", poll: float = POLL_S,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> float:
    """Seconds until cluster-ready.sh passes in the gate; a StepError after `timeout`."""
    started = clock()
    while True:
        result = gate.exec(GATE_SERVICE, ["sh", READY_SCRIPT])
        if result.ok:
            return clock() - started
        if any(gone in result.stderr for gone in GATE_GONE):
            raise StepError(step, f"{GATE_SERVICE} stopped while the cluster formed: "
                            f"{result.stderr.strip().splitlines()[-1]}",
                            f"`stackctl logs {GATE_SERVICE}` shows why")
        if clock() - started >= timeout:
            why = (result.stderr or result.stdout).strip().splitlines()
            raise StepError(step, f"Redis Cluster not ready after {timeout:.0f} s: "
                            f"{why[-1] if why else 'no answer from the gate'}",
                            "`stackctl logs cluster-init` and `stackctl status` show why")
        sleep(poll)


def start_cluster(gate: Gate, timeout: float, step: str = "redis-cluster") -> float:
    """`compose up` of the gate and what it depends on, then `wait_ready`; seconds it took."""
    started = time.monotonic()
    gate.up([GATE_SERVICE], wait=False)
    wait_ready(gate, max(timeout - (time.monotonic() - started), 1.0), step)
    return time.monotonic() - started
