"""What the shared e2e stacks are (tests/e2e/conftest.py runs them): names, subnets,
settings, and the compose stack's handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackenv import stack_env

SHARED_PROJECT = "stackctl-e2e-shared"
SHARED_SUBNETS = ("172.31.180.0/24", "172.31.181.0/24")
"""Redis and front subnets of the shared compose stack (no other test's)."""

SWARM_PROJECT = "stackctl-swarm-e2e"
SWARM_POOL = "172.30.0.0/16"
"""The swarm's own address pool: not the repo's 172.31.x, not the engine's 172.29.0.0/16."""
SWARM_REDIS_SUBNET, SWARM_FRONT_SUBNET = "172.31.244.0/24", "172.31.245.0/24"


@dataclass(frozen=True)
class Stack:
    """The shared compose stack: where it runs from, its environment, up's result."""

    cwd: Path
    env: dict[str, str]
    up: dict[str, Any]
    project: str = SHARED_PROJECT


def shared_env() -> dict[str, str]:
    """The shared compose stack's environment: mtls, 3 x 1 (the defaults otherwise)."""
    return stack_env(SHARED_PROJECT, *SHARED_SUBNETS, STACKCTL_REDIS__TLS="mtls")


def swarm_env(**extra: str) -> dict[str, str]:
    """The shared swarm stack's environment: mtls 3 x 1, placement by node labels."""
    return stack_env(SWARM_PROJECT, "172.31.246.0/24", "172.31.247.0/24",
                     STACKCTL_ENGINE="swarm", STACKCTL_SWARM__REDIS_SUBNET=SWARM_REDIS_SUBNET,
                     STACKCTL_SWARM__FRONT_SUBNET=SWARM_FRONT_SUBNET,
                     STACKCTL_SWARM__PLACEMENT="labels", STACKCTL_REDIS__TLS="mtls",
                     STACKCTL_REDIS__SHARDS="3", STACKCTL_REDIS__REPLICAS="1", **extra)
