"""Gateway and pump log lines during a scenario, counted by the kind of signature the
Tyk tables give them (`tyk.lookup.all_signatures`), plus error-level lines in all, and
when each kind was seen (the line's own `time=`, logrus: to the second)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from stackctl.tyk.lookup import all_signatures
from stackctl.tyk.schema import Component
from stackctl.tyk.tables import LOG_TIME_TEXT

COMPONENTS: dict[str, Component] = {"gateway": "gateway", "pump": "pump"}
"""Compose service -> the component its signatures belong to."""
ERROR_MARKERS = ("level=error", "level=fatal")
MAX_TIMES = 200
"""Times kept per kind (the first ones)."""
_TIME = re.compile(r'(?:time="|"time":")([^"]+)"')


def line_time(line: str, year: int | None = None) -> float | None:
    """The epoch seconds of a Tyk log line's `time=`: RFC 3339, or the text logs'
    "Jan 02 15:04:05" (UTC, in `year`: default this one)."""
    m = _TIME.search(line)
    if m is None:
        return None
    text = m.group(1)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        pass
    try:
        when = datetime.strptime(f"{year or datetime.now(UTC).year} {text}",
                                 f"%Y {LOG_TIME_TEXT}")
    except ValueError:
        return None
    return when.replace(tzinfo=UTC).timestamp()


def count_signatures(log: str, component: Component, origin: float | None = None
                     ) -> dict[str, Any]:
    """Counts by kind (the signature's meaning) and by text, and error-level lines; with
    `origin`, also each kind's times as offsets from it (`times`)."""
    sigs = all_signatures(component)
    kinds: Counter[str] = Counter()
    texts: Counter[str] = Counter()
    times: dict[str, list[float]] = {}
    errors = 0
    year = datetime.fromtimestamp(origin or 0.0, UTC).year
    for line in log.splitlines():
        if any(m in line for m in ERROR_MARKERS):
            errors += 1
        for sig in sigs:
            if sig.text in line:
                kinds[sig.meaning] += 1
                texts[sig.text] += 1
                at = line_time(line, year) if origin is not None else None
                mine = times.setdefault(sig.meaning, [])
                if at is not None and len(mine) < MAX_TIMES:
                    mine.append(round(at - (origin or 0.0), 3))
                break
    out: dict[str, Any] = {"kinds": dict(sorted(kinds.items())),
                           "texts": dict(sorted(texts.items())), "error_lines": errors}
    if origin is not None:
        out["times"] = {k: v for k, v in sorted(times.items()) if v}
    return out


def scenario_logs(log_since: Callable[[str, float], str], since: float,
                  origin: float | None = None) -> dict[str, dict[str, Any]]:
    """Each service's counts for the lines it wrote since `since` (epoch seconds), read
    with `log_since(service, since)` (Compose's container log; swarm: every task's)."""
    return {service: count_signatures(log_since(service, since), comp, origin)
            for service, comp in COMPONENTS.items()}
