"""The one place that names an engine: `settings.engine` -> its `Engine`."""

from __future__ import annotations

from typing import Protocol

from stackctl.context.stack import StackContext
from stackctl.engine.base import Engine
from stackctl.engine.compose import ComposeEngine
from stackctl.engine.swarm import SwarmEngine
from stackctl.model import StackModel


class HasModel(Protocol):
    """A run's context (anything carrying the model)."""

    @property
    def model(self) -> StackModel:
        """The stack's model."""


def engine_for(ctx_or_model: StackModel | HasModel) -> Engine:
    """The engine `settings.engine` names, for this stack."""
    model = ctx_or_model if isinstance(ctx_or_model, StackModel) else ctx_or_model.model
    return SwarmEngine(model) if model.settings.engine == "swarm" else ComposeEngine(model)


def stack_context(model: StackModel) -> StackContext:
    """A run's context on the engine `settings.engine` names (the one place it is picked)."""
    return StackContext(model, engine_for(model))
