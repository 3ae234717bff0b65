"""Gateway and pump log lines during a scenario, counted by the kind of signature the
Tyk tables give them (`tyk.lookup.all_signatures`), plus error-level lines in all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from stackctl.tyk.lookup import all_signatures
from stackctl.tyk.schema import Component

COMPONENTS: dict[str, Component] = {"gateway": "gateway", "pump": "pump"}
"""Compose service -> the component its signatures belong to."""
ERROR_MARKERS = ("level=error", "level=fatal")


def count_signatures(log: str, component: Component) -> dict[str, Any]:
    """Counts by kind (the signature's meaning) and by text, and error-level lines."""
    sigs = all_signatures(component)
    kinds: Counter[str] = Counter()
    texts: Counter[str] = Counter()
    errors = 0
    for line in log.splitlines():
        if any(m in line for m in ERROR_MARKERS):
            errors += 1
        for sig in sigs:
            if sig.text in line:
                kinds[sig.meaning] += 1
                texts[sig.text] += 1
                break
    return {"kinds": dict(sorted(kinds.items())), "texts": dict(sorted(texts.items())),
            "error_lines": errors}


def scenario_logs(log_since: Callable[[str, float], str], since: float
                  ) -> dict[str, dict[str, Any]]:
    """Each service's counts for the lines it wrote since `since` (epoch seconds), read
    with `log_since(service, since)` (Compose's container log; swarm: every task's)."""
    return {service: count_signatures(log_since(service, since), comp)
            for service, comp in COMPONENTS.items()}
