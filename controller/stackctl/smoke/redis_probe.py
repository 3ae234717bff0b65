"""Which smoke keys and rate-limit counters each Redis primary holds (read through the
stack's `ClusterAccess`, or a swarm's node exec), and where they were found."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from stackctl.cluster.access import NodeKeys
from stackctl.cluster.managed import each_node, read_keys
from stackctl.meter.commandstats import NodeExec
from stackctl.tyk.lookup import redis_key_prefix

SESSION_PREFIX = redis_key_prefix("session")
COUNTER_PREFIX = redis_key_prefix("rate-limit")
__all__ = ["COUNTER_PREFIX", "KEY_PATTERNS", "SESSION_PREFIX", "NodeKeys", "Placement", "placement",
           "probe_with"]

KEY_PATTERNS = (f"{SESSION_PREFIX}*", f"{COUNTER_PREFIX}*")
"""The smoke's sessions and their rate-limit counters."""


def probe_with(run: NodeExec, names: Sequence[str]) -> list[NodeKeys]:
    """Every named node's role and keys through `run`, read in parallel."""
    return each_node(names, lambda name: read_keys(run, name, KEY_PATTERNS))


@dataclass
class Placement:
    """Where the smoke's Redis records were found (on primaries only)."""

    primaries: list[str] = field(default_factory=list)
    per_primary: dict[str, int] = field(default_factory=dict)
    sessions_found: int = 0
    counters_found: int = 0
    expected: int = 0
    counters_expected: bool = True
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every session (and counter, where Redis keeps them) found; every primary holds some."""
        counters_ok = not self.counters_expected or self.counters_found == self.expected
        return (not self.errors and bool(self.primaries) and counters_ok
                and self.sessions_found == self.expected
                and all(self.per_primary.get(p, 0) > 0 for p in self.primaries))

    def detail(self) -> str:
        """One line with the figures."""
        spread = ", ".join(f"{p} {self.per_primary.get(p, 0)}" for p in self.primaries)
        counters = (f"counters {self.counters_found}/{self.expected}"
                    if self.counters_expected else
                    "rate-limit counters in gateway memory (DRL), none expected in Redis")
        line = (f"sessions {self.sessions_found}/{self.expected}, {counters}; "
                f"per primary: {spread or 'none'}")
        empty = [p for p in self.primaries if not self.per_primary.get(p)]
        if empty:
            line += f"; {', '.join(empty)} hold none (more --keys spread them wider)"
        return line + (f"; {self.errors[0]}" if self.errors else "")


def _counts(name: str, key_hash: str) -> bool:
    base = COUNTER_PREFIX + key_hash
    return name == base or name.startswith(base + "/") or name.startswith(base + ":")


def placement(samples: Iterable[Sequence[NodeKeys]], key_hashes: Sequence[str],
              counters_expected: bool = True) -> Placement:
    """Combine probes (one answer per node is enough; counters outlive the run by their window)."""
    out = Placement(expected=len(key_hashes), counters_expected=counters_expected)
    held: dict[str, set[str]] = {}
    failed: dict[str, str] = {}
    answered: set[str] = set()
    for sample in samples:
        for node in sample:
            if node.error:
                failed.setdefault(node.node, node.error)
                continue
            answered.add(node.node)
            if node.role == "master":
                held.setdefault(node.node, set()).update(node.keys)
    out.errors = [f"{n}: {e}" for n, e in sorted(failed.items()) if n not in answered]
    out.primaries = sorted(held)
    sessions: set[str] = set()
    counters: set[str] = set()
    for primary, names in held.items():
        mine = 0
        for h in key_hashes:
            if SESSION_PREFIX + h in names:
                sessions.add(h)
                mine += 1
            if any(_counts(n, h) for n in names):
                counters.add(h)
                mine += 1
        out.per_primary[primary] = mine
    out.sessions_found, out.counters_found = len(sessions), len(counters)
    return out
