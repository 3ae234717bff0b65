"""What a scenario is: its target's role, how it injects the fault and how it undoes
it. Scenarios drive Docker only through `Faults`: the stack's engine (`ctx.engine`: on
Compose the service's container, on swarm the task's container on this node)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from stackctl.runtime.docker_cli import ExecResult, ServiceState

Role = Literal["primary", "replica", "gateway", "pump"]
ActsOn = Literal["target", "replica", "service"]
"""What a scenario's fault acts on: the target's container, the planned replica's
container (failover), or the service as a whole (restart-gateway)."""


class Faults(Protocol):
    """The Docker actions scenarios take, by service (every `Engine` has them)."""

    def kill(self, services: Sequence[str], signal: str = "SIGKILL") -> None:
        """Send `signal` to the services' containers."""

    def start(self, services: Sequence[str]) -> None:
        """Bring the stopped or killed services back."""

    def stop(self, services: Sequence[str], timeout: int | None = None) -> None:
        """Stop the services' containers gracefully."""

    def pause(self, services: Sequence[str]) -> None:
        """Freeze the services' processes."""

    def unpause(self, services: Sequence[str]) -> None:
        """Thaw them."""

    def restart(self, services: Sequence[str], timeout: int | None = None) -> None:
        """Restart the services."""

    def exec(self, service: str, command: Sequence[str], env: dict[str, str] | None = None,
             index: int = 1, timeout: float | None = None) -> ExecResult:
        """Run a command in a service's container (exit code returned)."""

    def states(self, services: Sequence[str]) -> list[ServiceState]:
        """The services' containers' states."""

    def disconnect(self, service: str, network: str) -> None:
        """Take the service's container off a network."""

    def connect(self, service: str, network: str, ip: str) -> None:
        """Put it back at `ip`."""

    def networks_of(self, service: str) -> dict[str, str]:
        """The networks the service's container is on, with its address on each."""


@dataclass(frozen=True)
class Target:
    """What a scenario hits, as found live: the Compose service, its role when chosen,
    its Redis address and node id (empty for a gateway), and for a planned failover the
    replica that takes over."""

    service: str
    role: Role
    addr: str = ""
    node_id: str = ""
    replica_service: str = ""
    replica_addr: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


Action = Callable[[Faults, Target], None]


@dataclass(frozen=True)
class Scenario:
    """One fault. `loses_primary`: a primary stops answering (refused on a cluster with
    no replicas: nothing can take over and its keys would be lost). `skip_target`: the
    cluster's recovery is judged without the target (it is down or hanging)."""

    name: str
    summary: str
    role: Role
    inject: Action
    restore: Action
    loses_primary: bool = False
    skip_target: bool = True
    acts_on: ActsOn = "target"

    @property
    def redis(self) -> bool:
        """The fault is on a Redis node (recovery is the cluster's)."""
        return self.role in ("primary", "replica")


def nothing(_faults: Faults, _target: Target) -> None:
    """No restore action needed."""


def start(faults: Faults, target: Target) -> None:
    """Start the stopped or killed container again."""
    faults.start([target.service])
