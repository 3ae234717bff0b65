"""The smoke's checks, each pass or fail with its figures, from plain measurements."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from stackctl.load.stats import Slice
from stackctl.load.steady import steadiness
from stackctl.smoke.expect import expected_allowed
from stackctl.tyk.schema import LimiterKind

SUCCESS_MIN_PCT = 99.9
LATENCY_P99_MAX_MS = 5000.0
"""A sanity bound only (the request timeout: nothing hangs); how fast is fast enough is
the user's objective, `--slo p99<...`."""
AUTH_REJECTED = (401, 403)


@dataclass(frozen=True)
class Check:
    """One check's verdict."""

    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, object]:
        """JSON view."""
        return asdict(self)


@dataclass(frozen=True)
class KeyOutcome:
    """What one key's requests got: its limit and its status counts (0 = no answer)."""

    rate: int
    per: float
    limited: bool
    statuses: Counter[int]

    @property
    def answered(self) -> int:
        """Requests that got an HTTP answer."""
        return sum(n for s, n in self.statuses.items() if s)

    @property
    def allowed(self) -> int:
        """2xx answers."""
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)


def success_pct(keys: Sequence[KeyOutcome]) -> float:
    """Share of requests answered as they should be: 2xx, or 429 on a limited key."""
    sent = sum(sum(k.statuses.values()) for k in keys)
    good = sum(k.allowed + (k.statuses[429] if k.limited else 0) for k in keys)
    return 100.0 * good / sent if sent else 0.0


def success_check(keys: Sequence[KeyOutcome]) -> Check:
    """At least SUCCESS_MIN_PCT of the requests answered as expected."""
    total: Counter[int] = Counter()
    for k in keys:
        total.update(k.statuses)
    pct = success_pct(keys)
    shown = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(total.items()))
    return Check("success", pct >= SUCCESS_MIN_PCT and sum(total.values()) > 0,
                 f"{pct:.2f}% answered as expected (>= {SUCCESS_MIN_PCT}%); {shown or 'none'}")


def latency_check(latency_ms: dict[str, float], corrected: bool, answered: int) -> Check:
    """Percentiles measured, p99 under the sanity bound."""
    figures = ", ".join(f"{p} {v:.1f} ms" for p, v in latency_ms.items())
    how = "from the intended send time" if corrected else "from the actual send"
    return Check("latency", answered > 0 and latency_ms.get("p99", 0.0) <= LATENCY_P99_MAX_MS,
                 f"{figures} ({how}; p99 <= {LATENCY_P99_MAX_MS:.0f} ms)")


def auth_check(keys: Sequence[KeyOutcome], unauthorized: Sequence[int]) -> Check:
    """Live keys are never refused; a missing or made-up key always is."""
    refused = sum(k.statuses[s] for k in keys for s in AUTH_REJECTED)
    refused_keys = sum(1 for k in keys if any(k.statuses[s] for s in AUTH_REJECTED))
    let_in = [s for s in unauthorized if s not in AUTH_REJECTED]
    passed = refused == 0 and not let_in and bool(unauthorized)
    detail = (f"live keys refused {refused} times ({refused_keys} keys); "
              f"no/made-up key answered {', '.join(map(str, unauthorized)) or 'nothing'}")
    return Check("auth", passed, detail)


def rate_limit_check(keys: Sequence[KeyOutcome], start: float, end: float,
                     kind: LimiterKind = "fixed-window", in_flight: int = 0,
                     limiter: str = "", gateways: int = 1, note: str = "",
                     sliding_refuses: bool = False) -> Check:
    """429 only on limited keys, each letting through what a limiter of `kind` should
    (`gateways`, `sliding_refuses`: expect.expected_allowed; `note`: what they come from)."""
    problems: list[str] = []
    idle: list[int] = []
    limited_sent = limited_429 = 0
    for i, k in enumerate(keys):
        if not k.limited:
            if k.statuses[429]:
                problems.append(f"key {i} (unlimited) got {k.statuses[429]} x 429")
            continue
        limited_sent += k.answered
        limited_429 += k.statuses[429]
        want = expected_allowed(k.answered, k.rate, k.per, start, end, kind, in_flight,
                                gateways, sliding_refuses)
        if k.allowed not in want:
            problems.append(f"key {i} ({k.rate}/{k.per:g}s) let {k.allowed} of "
                            f"{k.answered} through, expected {want}")
        elif k.answered <= k.rate:
            idle.append(i)
    limited = sum(1 for k in keys if k.limited)
    if limited and len(idle) == limited:
        problems.append(f"no limited key sent more than its limit ({keys[idle[0]].rate}): "
                        "not exercised")
    detail = (f"{limiter or kind} limiter; {limited} limited keys: {limited_429} x 429 of "
              f"{limited_sent}; "
              f"{len(keys) - limited} unlimited keys: "
              f"{sum(k.statuses[429] for k in keys if not k.limited)} x 429")
    if idle and len(idle) < limited:
        detail += f"; {len(idle)} limited keys stayed within their limit"
    detail += note
    if problems:
        detail += "; " + "; ".join(problems[:3])
    return Check("rate-limits", not problems and limited > 0, detail)


def health_check(samples: Sequence[str]) -> Check:
    """Every /hello sample before, during and after the load said pass."""
    bad = [s for s in samples if s != "pass"]
    return Check("gateway-health", bool(samples) and not bad,
                 f"/hello {len(samples) - len(bad)}/{len(samples)} pass"
                 + (f" (saw {', '.join(sorted(set(bad)))})" if bad else ""))


def analytics_check(served: int, delivered: int, waited_s: float, unanswered: int = 0,
                    sink: str = "the csv sink") -> Check:
    """The pump delivered a record per request served: at least `served`, at most `unanswered`
    more (timed out or in flight: served unseen); `sink` names where they were counted."""
    lost = served - delivered
    extra = delivered - served - unanswered
    verdict = (f"{lost} lost" if lost > 0 else f"{extra} extra" if extra > 0
               else "nothing lost")
    maybe = f" (+ up to {unanswered} unanswered)" if unanswered else ""
    return Check("analytics", served > 0 and lost <= 0 and extra <= 0,
                 f"served {served}{maybe}, delivered {delivered} to {sink} after "
                 f"{waited_s:.1f}s: {verdict}")


def steady_check(parts: Sequence[Slice]) -> Check:
    """Throughput and p99 of the last fifth of the run against the first fifth."""
    verdict = steadiness(parts)
    return Check("steady", verdict.passed, verdict.detail)


def connection_reuse_check(new_per_request: float | None, limit: float, time_wait: int | None,
                           why_unmeasured: str = "") -> Check:
    """The gateway reuses connections: new outbound ones per proxied request stay below `limit`."""
    if new_per_request is None:
        return Check("connection-reuse", False, f"not measured: {why_unmeasured or 'no data'}")
    tw = f"; {time_wait} sockets in TIME_WAIT to the upstream" if time_wait is not None else ""
    return Check("connection-reuse", new_per_request <= limit,
                 f"{new_per_request:.4f} new gateway connections per request (<= {limit})"
                 f"{tw}")
