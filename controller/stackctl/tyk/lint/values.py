"""Value checks on one component's effective settings, and drift across components."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackctl.tyk.lint.findings import Finding, finding
from stackctl.tyk.lint.views import View
from stackctl.tyk.schema import Role
from stackctl.tyk.tables import LIMITER_CLIENT_TLS_FILES, MIN_HA_NODES, RATE_LIMITERS

_TLS_FILES: tuple[Role, ...] = ("ca_file", "cert_file", "key_file")
DRIFT_ROLES: tuple[tuple[Role, str, Any], ...] = (
    ("enable_cluster", "cluster flag", False),
    ("addrs", "address set", None),
    ("use_ssl", "TLS on/off", False),
    ("username", "Redis user", ""),
    ("password", "Redis password", ""),
    ("database", "database", 0),
)
"""(role, what it is called in a finding, Tyk's default when absent)."""


def _nodes(view: View, expected: Sequence[str] | None) -> list[Finding]:
    addrs = [a.strip() for a in view.get("addrs") or []]
    key = view.label("addrs")
    if expected is not None:
        missing = [a for a in expected if a not in addrs]
        extra = [a for a in addrs if a not in expected]
        out = []
        if missing:
            out.append(finding("missing-nodes", view.file, key, missing=", ".join(missing),
                               expected=",".join(expected)))
        if extra:
            out.append(finding("extra-nodes", view.file, key, extra=", ".join(extra),
                               expected=",".join(expected)))
        return out
    if len(addrs) < MIN_HA_NODES:
        return [finding("few-nodes", view.file, key, count=len(addrs), min=MIN_HA_NODES)]
    return []


DEFAULT_CONCURRENCY = 64
"""Requests a gateway is expected to have in flight to one upstream (the sweep's default
connections), for the idle-connection check; `stackctl lint --concurrency` overrides."""
IDLE_KEY = "max_idle_connections_per_host"
UPTIME_KEY = "health_check.enable_health_checks"


def _gateway_upstream(view: View, concurrency: int) -> list[Finding]:
    """The upstream idle pool and the uptime checker, where the whole config is known."""
    whole = view.from_file or view.general.get("omit_config_file", (False, ""))[0] is True
    out: list[Finding] = []
    idle, label = view.general.get(IDLE_KEY, (None, IDLE_KEY))
    if whole and (idle is None or idle == 0):
        out.append(finding("upstream-idle-unset", view.file, label))
    elif isinstance(idle, int) and 0 < idle < concurrency:
        out.append(finding("upstream-idle-low", view.file, label, value=idle,
                           concurrency=concurrency))
    uptime, label = view.general.get(UPTIME_KEY, (None, UPTIME_KEY))
    if uptime is True:
        out.append(finding("uptime-checks", view.file, label))
    return out


def check_view(view: View, expected: Sequence[str] | None,
               concurrency: int = DEFAULT_CONCURRENCY) -> list[Finding]:
    """Cluster-mode, node-list, TLS, purge and upstream checks for one component."""
    out: list[Finding] = []
    if view.component == "gateway":
        out += _gateway_upstream(view, concurrency)
    cluster = bool(view.get("enable_cluster"))
    if cluster and view.get("database", 0) not in (0, None):
        out.append(finding("cluster-database", view.file, view.label("database"),
                           value=view.get("database")))
    if cluster and view.get("master_name"):
        out.append(finding("sentinel-wins", view.file, view.label("master_name")))
    addrs = view.get("addrs") or []
    if not cluster and len(addrs) > 1 and not view.get("master_name"):
        out.append(finding("cluster-off", view.file, view.label("addrs"), count=len(addrs)))
    if cluster:
        out += _nodes(view, expected)
    if not view.get("use_ssl"):
        out += [finding("tls-off", view.file, view.label(r)) for r in _TLS_FILES
                if view.get(r)]
    if view.component == "pump" and (view.from_file or "purge_delay" in view.general):
        delay, label = view.general.get("purge_delay", (0, "purge_delay"))
        if isinstance(delay, int) and delay <= 0:
            out.append(finding("purge-delay", view.file, label, value=delay))
    return out


def check_limiter_tls(view: View, release: str) -> list[Finding]:
    """A Redis limiter with TLS files on a release whose limiter client ignores them."""
    if view.component != "gateway" or LIMITER_CLIENT_TLS_FILES.contains(release):
        return []
    files = [view.label(r) for r in _TLS_FILES if view.get(r)]
    if not view.get("use_ssl") or not files:
        return []
    flags = [k for limiter in RATE_LIMITERS for k, _ in limiter.flags]
    on = [label for value, label in (view.general.get(k, (None, k)) for k in flags)
          if value is True]
    return [finding("limiter-tls", view.file, on[0], files=", ".join(files), release=release,
                    fixed=LIMITER_CLIENT_TLS_FILES.describe())] if on else []


def check_drift(views: Sequence[View]) -> list[Finding]:
    """Settings that must match across gateway, pump and dashboard but do not."""
    if len(views) < 2:
        return []
    out = []
    for role, what, default in DRIFT_ROLES:
        seen = {v.component: v.get(role, default) for v in views}
        norm = {c: (sorted(x.strip() for x in val) if isinstance(val, list) else val)
                for c, val in seen.items()}
        if len({repr(v) for v in norm.values()}) < 2:
            continue
        shown = ("differs" if role == "password" else None)
        values = "; ".join(f"{c} {v.label(role)}={shown or norm[c]}" for c, v in
                           ((v.component, v) for v in views))
        out.append(finding("drift", ", ".join(v.file for v in views), role, what=what,
                           values=values))
    return out
