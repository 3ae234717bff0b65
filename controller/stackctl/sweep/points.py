"""What a sweep is asked to do: its points and options, validated, and a fingerprint that
says whether a stored point result can be reused."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stackctl.errors import ConfigError
from stackctl.sweep.project import TargetLoad

DEFAULT_MAX_ACTIVE = (1, 2, 4, 8, 16, 64, 256)
"""Small pools first, so that the knee is found; the stack's own pool joins them."""
AA = "aa"
"""The arm of the A/A pair's second run of the stack's own pool."""
IDLE_B = 2000
"""The A/B idle value: the reference page's sample `optimisation_max_idle`."""
FIGURES_VERSION = 2
"""What a stored repeat holds (2: connections in use besides those open); a stored point
of another version is measured again, not reused."""


@dataclass(frozen=True)
class Point:
    """One pool setting: `max_active` for gateway and pump; `max_idle` set only on the B
    side of the idle A/B; `arm` "aa" on the A/A pair's second run of the stack's own
    pool."""

    max_active: int
    max_idle: int | None = None
    arm: str = ""

    @property
    def slug(self) -> str:
        """A file-name-safe id, e.g. `active-64`, `active-64-idle-2000`, `active-500-aa`."""
        idle = f"-idle-{self.max_idle}" if self.max_idle is not None else ""
        return f"active-{self.max_active}{idle}{'-' + self.arm if self.arm else ''}"

    @property
    def label(self) -> str:
        """Human label."""
        idle = f", max_idle={self.max_idle}" if self.max_idle is not None else ""
        return f"max_active={self.max_active}{idle}{' (A/A)' if self.arm else ''}"

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {"max_active": self.max_active, "max_idle": self.max_idle, "arm": self.arm}


@dataclass(frozen=True)
class SweepOptions:
    """The sweep's knobs (bounded: every run in duration and count, the whole in time)."""

    max_active: tuple[int, ...] = DEFAULT_MAX_ACTIVE
    gateways: int = 1
    duration_s: float = 10.0
    repeat: int = 3
    out: Path | None = None
    budget_s: float = 3600.0
    connections: int = 64
    rate: float = 200.0
    warmup_s: float = 2.0
    idle_ab: bool = True
    aa: bool = True
    target_rate: float | None = None
    target_gateways: int | None = None
    maxclients: int | None = None

    def validate(self) -> None:
        """ConfigError (exit 2) on a value out of range."""
        checks = [
            ("--max-active", bool(self.max_active)
             and all(1 <= m <= 100_000 for m in self.max_active), "values 1..100000"),
            ("--gateways", 1 <= self.gateways <= 8, "between 1 and 8"),
            ("--duration", 1 <= self.duration_s <= 600, "between 1 and 600 s"),
            ("--repeat", 1 <= self.repeat <= 20, "between 1 and 20"),
            ("--budget", 30 <= self.budget_s <= 86_400, "between 30 and 86400 s"),
            ("--connections", 1 <= self.connections <= 4096, "between 1 and 4096"),
            ("--rate", 1 <= self.rate <= 100_000, "between 1 and 100000 req/s"),
            ("--warmup", 0 <= self.warmup_s <= 60, "between 0 and 60 s"),
        ]
        if self.target_rate is None and (self.target_gateways is not None
                                         or self.maxclients is not None):
            raise ConfigError("--target-gateways/--maxclients", "given without "
                              "--target-rate", "add --target-rate R (requests per second)")
        if self.target_rate is not None:
            TargetLoad(self.target_rate, self.gateways if self.target_gateways is None
                       else self.target_gateways,
                       self.maxclients).validate()
        for flag, ok, want in checks:
            if not ok:
                raise ConfigError(flag, "out of range", f"give {want}")

    def points(self, own: int) -> list[Point]:
        """One round: the pool points in ascending order (the stack's own pool `own`
        among them when the A/A pair runs), its second A/A run, then the idle B point at
        the smallest pool. With one pool asked there is nothing to judge: no A/A."""
        sizes = sorted(set(self.max_active))
        aa = self.aa and len(sizes) > 1
        if aa:
            sizes = sorted({*sizes, own})
        points = [Point(m) for m in sizes]
        if aa:
            points.append(Point(own, arm=AA))
        if self.idle_ab:  # at the stack's own pool when the A/A runs it (no waits there)
            points.append(Point(own if aa else sizes[0], IDLE_B))
        return points


def parse_list(text: str) -> tuple[int, ...]:
    """`16,64,256` -> (16, 64, 256); ConfigError on anything else."""
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError("--max-active", f"not a list of integers: {text!r}",
                          "give e.g. 16,64,256") from None
    if not values:
        raise ConfigError("--max-active", "empty", "give e.g. 16,64,256")
    return values


def fingerprint(options: SweepOptions, stack: dict[str, Any]) -> str:
    """What a point's figures depend on besides the point itself: the load shape and the
    stack (`stack`: shape, TLS, images), and what a repeat records (FIGURES_VERSION). Equal
    fingerprints mean a result can be reused."""
    shape = {k: v for k, v in asdict(options).items()
             if k not in ("max_active", "out", "budget_s", "idle_ab", "aa",
                                   "target_rate", "target_gateways", "maxclients")}
    raw = json.dumps({"load": shape, "stack": stack, "figures": FIGURES_VERSION},
                     sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
