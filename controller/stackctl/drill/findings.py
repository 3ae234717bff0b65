"""Findings the drill states about a run: what likely explains a client error window
that outlasts the cluster's own recovery, by the Redis client the running gateway image
carries (the facts themselves live in tyk/tables.py; the version in tyk/gateway_version)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackctl.tyk.gateway_version import SOURCE_TEXT
from stackctl.tyk.tables import (
    DIAL_LOCK,
    DIAL_LOCK_GO_REDIS,
    DIAL_QUEUE,
    GO_REDIS_STATE_RELOAD_S,
    LAG_WITHOUT_DIAL_LOCK,
    RELOAD_TAIL,
    RELOAD_TAIL_MARGIN_S,
)

LAG_MARGIN_S = float(GO_REDIS_STATE_RELOAD_S)
"""A window ending up to this long after the recovery is the client's normal topology
refresh (its lazy CLUSTER SLOTS reload); beyond it the report names a cause."""
STORAGE_TIMEOUT = "gateway.storage_timeout_s"


def storage_timeout(run: Mapping[str, Any], settings: Mapping[str, Any]) -> float | None:
    """The gateway's storage.timeout in effect for `run` (its --vary value, else the
    stack's)."""
    value = (run.get("vary") or {}).get(STORAGE_TIMEOUT, settings.get("storage_timeout_s"))
    return None if value is None else float(value)


def who(gateway: Mapping[str, Any] | None) -> str:
    """`the gateway image X (Tyk v5.8.1, image label) runs go-redis v9.13.0 (image label)`,
    or that it was not read (an older report)."""
    if not gateway:
        return "the gateway's Redis client was not read"
    release = gateway.get("release")
    where = SOURCE_TEXT.get(str(gateway.get("release_from")), "?")
    tyk = f"Tyk {release}, {where}" if release else "release unknown"
    return f"the gateway image {gateway['image']} ({tyk}) runs {gateway['client']}"


def _lag_past(run: Mapping[str, Any], scenarios: tuple[str, ...], margin: float
              ) -> float | None:
    """Seconds clients kept failing after the cluster recovered, when `run` is one of
    `scenarios` and that is more than `margin`; None otherwise (or nothing to compare)."""
    recovery, until = run.get("recovery_s"), run.get("errors_until_after_fault_s")
    if run.get("scenario") not in scenarios or recovery is None or until is None:
        return None
    lag = round(until - recovery, 3)
    return lag if lag > margin else None


def client_lag(run: Mapping[str, Any], settings: Mapping[str, Any],
               gateway: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The finding when clients kept failing more than LAG_MARGIN_S after the cluster
    recovered from a fault that makes the primary's address vanish; None otherwise. The
    dial queue is named only where the running client holds the dial lock; with a client
    known to lack it, the window is reported with what remains; unknown: hedged."""
    lag = _lag_past(run, DIAL_QUEUE.scenarios, LAG_MARGIN_S)
    if lag is None:
        return None
    lock = (gateway or {}).get("dial_lock")
    timeout = storage_timeout(run, settings)
    opened = bool(run.get("error_window_open"))
    each = f"{timeout:g} s" if timeout is not None else "storage.timeout"
    head = (f"clients kept failing {'at least ' if opened else ''}{lag:.1f} s after the "
            f"cluster recovered (more than the client's {LAG_MARGIN_S:g} s topology "
            f"refresh); {who(gateway)}")
    hint = (f"shorten it with {DIAL_QUEUE.setting} ({DIAL_QUEUE.tyk_option}, e.g. --vary "
            f"{DIAL_QUEUE.setting}=1,{timeout or 5:g})")
    if lock is False:
        fact = LAG_WITHOUT_DIAL_LOCK
        text = (f"{head}, without the dial lock ({DIAL_LOCK_GO_REDIS.describe()}"
                f", fixed in {DIAL_LOCK.fixed_in}): {fact.cause}. A reload's dial waits "
                f"{each}; {hint}")
    else:
        fact = DIAL_QUEUE
        likely = ("likely" if lock else "possibly, if it is go-redis "
                  f"{DIAL_LOCK_GO_REDIS.describe()}")
        text = (f"{head}: {likely} {fact.client}: {fact.cause}. Each dial waits {each}; "
                f"{hint}; fixed in {fact.fixed_in}")
    return {"kind": fact.kind, "lag_s": lag, "open": opened, "storage_timeout_s": timeout,
            "setting": fact.setting, "dial_lock": lock, "text": text}


def reload_tail(run: Mapping[str, Any]) -> dict[str, Any] | None:
    """The finding when clients kept failing more than RELOAD_TAIL_MARGIN_S after the
    cluster recovered (the window's phase after recovery): the client's lazy slot-map
    reload, which no Tyk setting reaches; None otherwise."""
    lag = _lag_past(run, RELOAD_TAIL.scenarios, RELOAD_TAIL_MARGIN_S)
    if lag is None:
        return None
    opened = bool(run.get("error_window_open"))
    text = (f"clients kept failing {'at least ' if opened else ''}{lag:.1f} s after the "
            f"cluster recovered (the phase after recovery; more than "
            f"{RELOAD_TAIL_MARGIN_S:g} s): {RELOAD_TAIL.cause}. Source: {RELOAD_TAIL.source}")
    return {"kind": RELOAD_TAIL.kind, "lag_s": lag, "open": opened, "setting": None,
            "text": text}


def findings(run: Mapping[str, Any], settings: Mapping[str, Any],
             gateway: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every finding for one run (empty when nothing needs explaining); `gateway`: the
    running gateway's version (GatewayVersion.as_dict), the run's own first. The client
    lag (dial queue or not, past LAG_MARGIN_S) first; else the reload tail past
    RELOAD_TAIL_MARGIN_S."""
    found = client_lag(run, settings, run.get("gateway") or gateway) or reload_tail(run)
    return [found] if found is not None else []
