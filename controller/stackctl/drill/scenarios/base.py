"""What a scenario is: its target's role, how it injects the fault and how it undoes
it. Scenarios drive Docker only through `runtime.compose.Compose`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from stackctl.runtime.compose import Compose

Role = Literal["primary", "replica", "gateway", "pump"]


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


Action = Callable[[Compose, Target], None]


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

    @property
    def redis(self) -> bool:
        """The fault is on a Redis node (recovery is the cluster's)."""
        return self.role in ("primary", "replica")


def nothing(_compose: Compose, _target: Target) -> None:
    """No restore action needed."""


def start(compose: Compose, target: Target) -> None:
    """Start the stopped or killed container again."""
    compose.start([target.service])
