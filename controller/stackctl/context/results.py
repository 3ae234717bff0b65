"""What the parts of a run hand each other, one typed record each."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stackctl.cluster.preflight import SharedCluster


@dataclass(frozen=True)
class Rendered:
    """The stack's files as rendered: digest, whether the running stack has them, count, place."""

    digest: str
    unchanged: bool
    files: int
    directory: Path


@dataclass(frozen=True)
class StartFailure:
    """A start-up step that failed and was deferred to the fallback step."""

    step: str
    error: str
    detections: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"step": self.step, "error": self.error, "detections": list(self.detections)}


@dataclass(frozen=True)
class GatewayHealth:
    """The gateway answered /hello with Redis `pass`, and its version."""

    version: str
    redis: str = "pass"

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class FallbackOutcome:
    """What the fallback did about a start failure: the ladder, and the diagnosis if none helped."""

    trigger: StartFailure
    ladder: dict[str, Any]
    diagnosis: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON view, as written to the last-report file."""
        out: dict[str, Any] = {"trigger": self.trigger.as_dict(), "ladder": self.ladder}
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis
        return out


@dataclass(frozen=True)
class SmokeSummary:
    """The short smoke at the end of `up`: its verdict, line and whole report."""

    passed: bool
    summary: str
    report: dict[str, Any] = field(default_factory=dict)


@dataclass
class Results:
    """Every result a run can produce, each set by the one part that makes it."""

    rendered: Rendered | None = None
    start_failure: StartFailure | None = None
    gateway: GatewayHealth | None = None
    smoke: SmokeSummary | None = None
    swarm: SwarmRun | None = None  # engine = swarm only
    shared: SharedCluster | None = None  # external mode: other Tyk deployments seen

    @property
    def unchanged(self) -> bool:
        """The render found the running stack already has these files."""
        return self.rendered is not None and self.rendered.unchanged


@dataclass
class SwarmRun:
    """Placement groups from preflight, services the render changed, tasks before the deploy."""

    groups: int | None = None
    changed: tuple[str, ...] = ()
    before: frozenset[str] = field(default_factory=frozenset)
