"""Profile pro's pairing rules: Dashboard and gateway agree on the node secret, the API
secret and hash_keys (the cluster flag is a drift rule of `values.check_drift`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackctl.tyk.lint.findings import Finding, finding
from stackctl.tyk.lint.views import View

PAIRS: tuple[tuple[str, str, str, Any, bool], ...] = (
    ("node_secret", "shared_node_secret", "the node secret", None, True),
    ("secret", "tyk_api_config.Secret", "the gateway API secret", None, True),
    ("hash_keys", "hash_keys", "hash_keys", (True, False), False),
)
"""(gateway key, dashboard key, what it is, defaults when absent (gateway, dashboard) or
None, secret: values never shown). Tyk's gateway ships hash_keys true; the Dashboard's
default is false."""


def check_pairing(views: Sequence[View]) -> list[Finding]:
    """A `pairing` error per pair that differs or is one-sided, once the dashboard sets any."""
    by = {v.component: v for v in views}
    gateway, dashboard = by.get("gateway"), by.get("dashboard")
    if gateway is None or dashboard is None or not any(
            db_key in dashboard.general for _, db_key, _, _, _ in PAIRS):
        return []  # a dashboard config not wired to a gateway: nothing to pair
    out: list[Finding] = []
    for gw_key, db_key, what, defaults, secret in PAIRS:
        gw_default, db_default = defaults if defaults is not None else (None, None)
        gw_value = gateway.general.get(gw_key, (gw_default, gw_key))[0]
        db_value = dashboard.general.get(db_key, (db_default, db_key))[0]
        if gw_value == db_value:
            continue
        shown = ("differs" if secret and gw_value is not None and db_value is not None
                 else None)
        out.append(finding(
            "pairing", f"{gateway.file}, {dashboard.file}", db_key, what=what,
            values=f"gateway {gw_key}={shown or _show(gw_value, secret)}; "
                   f"dashboard {db_key}={shown or _show(db_value, secret)}",
            gw_key=gw_key))
    return out


def _show(value: Any, secret: bool) -> str:
    if value is None:
        return "unset"
    return "set" if secret else str(value).lower()
