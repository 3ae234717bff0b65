"""The shared context of one stackctl run and the typed results its parts hand each other
(below the steps: steps, smoke, sweep, fallback, diagnose and the drill all use it)."""

from stackctl.context.results import (
    FallbackOutcome,
    GatewayHealth,
    Rendered,
    Results,
    SmokeSummary,
    StartFailure,
)
from stackctl.context.stack import StackContext

__all__ = [
    "FallbackOutcome",
    "GatewayHealth",
    "Rendered",
    "Results",
    "SmokeSummary",
    "StackContext",
    "StartFailure",
]
