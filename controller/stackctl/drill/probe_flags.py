"""What the probe series say against the clients' outcomes: the seconds a probe said
pass while more than FAIL_SHARE of the requests sent then failed, and the restarts a
Kubernetes liveness probe with Tyk's chart defaults would have made from the same
answers (series rows: `[offset_s, status, says, latency_ms]`, probes.series)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from stackctl.clients.health import HealthSample
from stackctl.drill.buckets import BUCKET_S, failing
from stackctl.drill.probes import PROBE_S, PROBE_TIMEOUT_S, series
from stackctl.tyk.tables import CHART_LIVENESS, HELLO, PUMP_HEALTH, READY, LivenessProbe

FAIL_SHARE = 0.01
"""A second whose requests failed more than this share counts as failing."""
Row = Sequence[Any]


def says_pass(row: Row) -> bool:
    """The probe answered 2xx/3xx and its body claims pass."""
    return 200 <= int(row[1]) < 400 and row[2] == "pass"


def failing_seconds(buckets: Sequence[dict[str, int]], bucket_s: float = BUCKET_S
                    ) -> dict[int, float]:
    """Whole second -> share of the requests sent then that failed (seconds with
    requests only)."""
    per = max(1, round(1.0 / bucket_s))
    out: dict[int, float] = {}
    for i in range(0, len(buckets), per):
        chunk = buckets[i:i + per]
        total = sum(sum(b.values()) for b in chunk)
        if total:
            out[i // per] = sum(failing(b) for b in chunk) / total
    return out


def lying(rows: Sequence[Row], buckets: Sequence[dict[str, int]],
          bucket_s: float = BUCKET_S) -> dict[str, Any]:
    """The seconds in which every sample of the probe said pass while more than
    FAIL_SHARE of the requests failed."""
    by_second: dict[int, list[bool]] = {}
    for row in rows:
        by_second.setdefault(math.floor(float(row[0])), []).append(says_pass(row))
    shares = failing_seconds(buckets, bucket_s)
    bad = sorted(s for s, share in shares.items() if share > FAIL_SHARE
                 and by_second.get(s) and all(by_second[s]))
    return {"seconds": len(bad), "at_s": bad, "flag": bool(bad),
            "failing_seconds": sum(1 for v in shares.values() if v > FAIL_SHARE)}


def probe_fails(row: Row | None, probe: LivenessProbe) -> bool:
    """How Kubernetes judges one HTTP probe: a status outside 200-399, or no answer
    within its timeout."""
    if row is None:
        return False
    status, latency_ms = int(row[1]), float(row[3])
    return not 200 <= status < 400 or latency_ms > probe.timeout_s * 1000


def liveness_restarts(rows: Sequence[Row], span_s: float,
                      probe: LivenessProbe = CHART_LIVENESS) -> dict[str, Any]:
    """The restarts `probe` would have made from these answers: one probe every
    period_s from 0 (the sample last sent at or before each tick stands for it), a
    restart at failure_threshold consecutive failures, then none for initial_delay_s."""
    ordered = sorted(rows, key=lambda r: float(r[0]))
    restarts: list[float] = []
    failed = streak = 0
    tick, resume = 0.0, 0.0
    i = -1
    while tick <= span_s + 1e-9:
        while i + 1 < len(ordered) and float(ordered[i + 1][0]) <= tick + 1e-9:
            i += 1
        if tick >= resume - 1e-9 and i >= 0:
            if probe_fails(ordered[i], probe):
                failed += 1
                streak += 1
                if streak >= probe.failure_threshold:
                    restarts.append(round(tick, 3))
                    streak = 0
                    resume = tick + probe.initial_delay_s
            else:
                streak = 0
        tick = round(tick + probe.period_s, 6)
    return {"restarts": len(restarts), "at_s": restarts, "failed_probes": failed,
            "probe": {"path": probe.path, "period_s": probe.period_s,
                      "timeout_s": probe.timeout_s,
                      "failure_threshold": probe.failure_threshold,
                      "initial_delay_s": probe.initial_delay_s, "source": probe.source}}


def summarize(rows: Sequence[Row]) -> dict[str, Any]:
    """Counts of what the series said."""
    says: dict[str, int] = {}
    for row in rows:
        key = str(row[2]) if int(row[1]) else "no answer"
        says[key or "no body"] = says.get(key or "no body", 0) + 1
    return {"samples": len(rows), "says": dict(sorted(says.items())),
            "max_latency_ms": max((float(r[3]) for r in rows), default=None)}


def probe_figures(samples: dict[str, list[HealthSample]], skipped: dict[str, str], origin: float,
                  buckets: list[dict[str, int]], span_s: float) -> dict[str, Any]:
    """Each endpoint's series with what it said, the seconds it said pass while clients
    failed, and the chart liveness probe's restarts (on /hello)."""
    by_name = {t.name: t for t in (HELLO, READY, PUMP_HEALTH)}
    out: dict[str, Any] = {}
    for name, got in samples.items():
        rows = series(got, origin)
        ep = by_name[name]
        out[name] = {"path": ep.path, "component": ep.component, "based_on": ep.based_on,
                     "source": ep.source, "series": rows, **summarize(rows),
                     "pass_while_failing": lying(rows, buckets)}
        if ep.path == CHART_LIVENESS.path:
            out[name]["liveness"] = liveness_restarts(rows, span_s)
    return {"every_s": PROBE_S, "timeout_s": PROBE_TIMEOUT_S,
            "endpoints": out, "not_probed": skipped}
