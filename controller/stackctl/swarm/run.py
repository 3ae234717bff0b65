"""What the swarm steps of one `up` hand each other (kept in `ctx.results.swarm`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SwarmRun:
    """Placement groups found by preflight; services the render changed; tasks running
    before the deploy (a changed service is ready only when new tasks run)."""

    groups: int | None = None
    changed: tuple[str, ...] = ()
    before: frozenset[str] = field(default_factory=frozenset)
