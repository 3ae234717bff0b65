"""The one place that looks at `redis.mode`: the stack's `ClusterAccess`."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

from stackctl.cluster.access import ClusterAccess, NodeRunner
from stackctl.cluster.external_access import ExternalAccess
from stackctl.cluster.managed import ManagedAccess
from stackctl.model import StackModel


def open_access(model: StackModel, password: Callable[[], SecretStr], runner: NodeRunner
                ) -> ClusterAccess:
    """External: probe containers on the user's network (`password()` read when needed, given
    on stdin); managed: the stack's containers through `runner` (the engine)."""
    return ExternalAccess(model, password) if model.external else ManagedAccess(model, runner)
