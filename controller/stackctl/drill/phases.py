"""The client error window taken apart (offsets from the load's start): the fault until
the first failure (what the gateway's session cache hid), the failures until the
cluster recovered, and the failures after it (the client's dial or reload tail, the
analytics buffer). The three add up to the time from the fault to the last failure.
Also the valid-key rejections: the drill's keys are valid, so a 401/403 for one of them
is Redis' doing (tyk.tables.VALID_KEY_REJECTED)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stackctl.drill.buckets import BUCKET_S, index

REJECTED = "401/403"
"""The outcome class (buckets.CLASSES) of a valid key's rejection."""


def phases(fault_s: float, window: Mapping[str, Any] | None, recovered_s: float | None
           ) -> dict[str, Any]:
    """The three phases in seconds (0 where a phase is empty); `total_s` = from the fault
    to the window's end (the bucket holding the fault counts from the fault)."""
    if window is None:
        return {"to_first_failure_s": None, "until_recovery_s": 0.0,
                "after_recovery_s": 0.0, "total_s": 0.0, "recovered_in_window": None}
    start, end = max(float(window["start_s"]), fault_s), float(window["end_s"])
    first = round(max(0.0, start - fault_s), 3)
    if recovered_s is None:  # never recovered within the run: all before it
        until, after = end - start, 0.0
    else:
        until = max(0.0, min(end, recovered_s) - start)
        after = max(0.0, end - max(start, recovered_s))
    return {"to_first_failure_s": first, "until_recovery_s": round(until, 3),
            "after_recovery_s": round(after, 3),
            "total_s": round(first + until + after, 3),
            "recovered_in_window": None if recovered_s is None
            else start <= recovered_s <= end}


def in_span(events: Mapping[str, Sequence[float]], start: float, end: float
            ) -> dict[str, dict[str, Any]]:
    """Log signature kind -> its count and first/last time within [start, end)."""
    out = {}
    for kind, times in events.items():
        mine = [t for t in times if start <= t < end]
        if mine:
            out[kind] = {"count": len(mine), "first_s": min(mine), "last_s": max(mine)}
    return out


def evidence(ph: Mapping[str, Any], fault_s: float, recovered_s: float | None,
             events: Mapping[str, Sequence[float]], probes_pass: Mapping[str, Sequence[Any]]
             ) -> dict[str, Any]:
    """Per phase: the log signatures (with times) and what each probe said in it
    (`probes_pass`: endpoint -> series rows)."""
    if ph["to_first_failure_s"] is None:
        return {}
    first = fault_s + ph["to_first_failure_s"]
    split = first + ph["until_recovery_s"]
    end = split + ph["after_recovery_s"]
    spans = {"to_first_failure": (fault_s, first), "until_recovery": (first, split),
             "after_recovery": (split, end)}
    out: dict[str, Any] = {}
    for name, (lo, hi) in spans.items():
        said = {}
        for ep, rows in probes_pass.items():
            mine = [r for r in rows if lo <= float(r[0]) < hi]
            if mine:
                said[ep] = {"samples": len(mine),
                            "pass": sum(1 for r in mine if r[2] == "pass"
                                        and 200 <= int(r[1]) < 400)}
        out[name] = {"from_s": round(lo, 3), "to_s": round(hi, 3),
                     "logs": in_span(events, lo, hi), "probes": said}
    return out


def rejected(buckets: Sequence[dict[str, int]], fault_s: float,
             bucket_s: float = BUCKET_S) -> dict[str, Any]:
    """The valid keys' rejections after the fault: how many, their share of the requests
    sent and of the failed ones, and their span (first to last bucket holding one)."""
    lo = index(fault_s, bucket_s)
    after = buckets[lo:]
    n = sum(b.get(REJECTED, 0) for b in after)
    sent = sum(sum(b.values()) for b in after)
    failed = sum(v for b in after for k, v in b.items() if k != "2xx")
    hit = [lo + i for i, b in enumerate(after) if b.get(REJECTED, 0)]
    return {"requests": n, "share": round(n / sent, 4) if sent else 0.0,
            "share_of_failed": round(n / failed, 4) if failed else 0.0,
            "start_s": round(hit[0] * bucket_s, 3) if hit else None,
            "end_s": round((hit[-1] + 1) * bucket_s, 3) if hit else None,
            "seconds": round((hit[-1] + 1 - hit[0]) * bucket_s, 3) if hit else 0.0}
