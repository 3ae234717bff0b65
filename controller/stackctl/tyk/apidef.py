"""The one builder of what stackctl posts to the gateway API (a keyed API definition to the
upstream, a key session on it), for the bootstrap, smoke, sweep and benchmarks."""

from __future__ import annotations

from typing import Any

UPSTREAM = "http://upstream:80/"
"""The stack's upstream service (stack/images/upstream), as the gateway reaches it."""
ORG_ID = "default"
VERSION = "Default"
"""The one version of a not-versioned API (what its keys' access rights name)."""
KEY_HEADER = "Authorization"
"""The header a client puts its key in (the definition's auth.auth_header_name)."""


def api_definition(api_id: str, listen_path: str, target_url: str = UPSTREAM
                   ) -> dict[str, Any]:
    """A keyed, unversioned API `api_id` at `listen_path` (stripped), proxying to `target_url`."""
    return {
        "name": api_id, "api_id": api_id, "org_id": ORG_ID, "active": True,
        "use_keyless": False, "auth": {"auth_header_name": KEY_HEADER},
        "version_data": {"not_versioned": True, "versions": {
            VERSION: {"name": VERSION, "use_extended_paths": True}}},
        "proxy": {"listen_path": listen_path, "target_url": target_url,
                  "strip_listen_path": True},
    }


def session(api_id: str, rate: int, per: float) -> dict[str, Any]:
    """A key on `api_id` limited to `rate` requests per `per` seconds; no quota, no expiry."""
    return {
        "allowance": rate, "rate": rate, "per": per, "expires": 0, "quota_max": -1,
        "org_id": ORG_ID,
        "access_rights": {api_id: {"api_id": api_id, "api_name": api_id,
                                   "versions": [VERSION]}},
    }


def _access(api_id: str) -> dict[str, Any]:
    return {api_id: {"api_id": api_id, "api_name": api_id, "versions": [VERSION],
                     "allowed_urls": []}}


def policy(name: str, org_id: str, api_id: str, rate: int) -> dict[str, Any]:
    """A Dashboard policy (profile pro) on `api_id`: `rate` per second, no quota."""
    return {
        "name": name, "org_id": org_id, "active": True, "state": "active",
        "rate": rate, "per": 1, "quota_max": -1, "quota_renewal_rate": -1,
        "throttle_interval": -1, "throttle_retry_limit": -1, "key_expires_in": 0,
        "access_rights": _access(api_id),
    }


def policy_session(org_id: str, api_id: str, policy_id: str, rate: int) -> dict[str, Any]:
    """A key on a Dashboard policy (its limits come from the policy)."""
    return {"org_id": org_id, "apply_policies": [policy_id], "rate": rate, "per": 1,
            "allowance": rate, "quota_max": -1, "expires": 0,
            "access_rights": _access(api_id)}
