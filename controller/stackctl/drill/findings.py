"""Findings the drill states about a run: what likely explains a client error window
that outlasts the cluster's own recovery (the facts themselves live in tyk/tables.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackctl.tyk.tables import DIAL_QUEUE, GO_REDIS_STATE_RELOAD_S, ClientLag

LAG_MARGIN_S = float(GO_REDIS_STATE_RELOAD_S)
"""A window ending up to this long after the recovery is the client's normal topology
refresh (its lazy CLUSTER SLOTS reload); beyond it the report names a cause."""
STORAGE_TIMEOUT = "gateway.storage_timeout_s"


def storage_timeout(run: Mapping[str, Any], settings: Mapping[str, Any]) -> float | None:
    """The gateway's storage.timeout in effect for `run` (its --vary value, else the
    stack's)."""
    value = (run.get("vary") or {}).get(STORAGE_TIMEOUT, settings.get("storage_timeout_s"))
    return None if value is None else float(value)


def client_lag(run: Mapping[str, Any], settings: Mapping[str, Any],
               fact: ClientLag = DIAL_QUEUE) -> dict[str, Any] | None:
    """The finding when clients kept failing more than LAG_MARGIN_S after the cluster
    recovered from a fault that makes the primary's address vanish; None otherwise."""
    recovery, until = run.get("recovery_s"), run.get("errors_until_after_fault_s")
    if run.get("scenario") not in fact.scenarios or recovery is None or until is None:
        return None
    lag = round(until - recovery, 3)
    if lag <= LAG_MARGIN_S:
        return None
    timeout = storage_timeout(run, settings)
    opened = bool(run.get("error_window_open"))
    each = f"{timeout:g} s" if timeout is not None else "storage.timeout"
    text = (f"clients kept failing {'at least ' if opened else ''}{lag:.1f} s after the "
            f"cluster recovered (more than the client's {LAG_MARGIN_S:g} s topology "
            f"refresh): likely {fact.client}: {fact.cause}. Each dial waits {each}; "
            f"shorten it with {fact.setting} ({fact.tyk_option}, e.g. --vary "
            f"{fact.setting}=1,{timeout or 5:g}); fixed in {fact.fixed_in}")
    return {"kind": fact.kind, "lag_s": lag, "open": opened, "storage_timeout_s": timeout,
            "setting": fact.setting, "text": text}


def findings(run: Mapping[str, Any], settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every finding for one run (empty when nothing needs explaining)."""
    found = client_lag(run, settings)
    return [found] if found is not None else []
