"""Smoke bootstrap: an API and a key created through the gateway API, then one request
through the gateway with that key must return the upstream's answer."""

from __future__ import annotations

import json
from typing import Any

import httpx

from stackctl.errors import StepError, ToolError
from stackctl.state import atomic_write_json
from stackctl.steps.context import StepContext

API_ID = "stackctl-smoke"
LISTEN_PATH = "/smoke/"
BOOTSTRAP_FILE = "bootstrap.json"
UPSTREAM_MARK = '"upstream"'
"""What the upstream's answer contains (stack/images/upstream/nginx.conf)."""


def smoke_api() -> dict[str, Any]:
    """A keyed API definition proxying to the stack's upstream."""
    return {
        "name": API_ID, "api_id": API_ID, "org_id": "default", "active": True,
        "use_keyless": False, "auth": {"auth_header_name": "Authorization"},
        "version_data": {"not_versioned": True, "versions": {
            "Default": {"name": "Default", "use_extended_paths": True}}},
        "proxy": {"listen_path": LISTEN_PATH, "target_url": "http://upstream:80/",
                  "strip_listen_path": True},
    }


def smoke_session() -> dict[str, Any]:
    """A key allowed on the smoke API, with a generous rate limit."""
    return {
        "allowance": 100000, "rate": 100000, "per": 1, "expires": 0, "quota_max": -1,
        "org_id": "default",
        "access_rights": {API_ID: {"api_id": API_ID, "api_name": API_ID, "versions": ["Default"]}},
    }


def _through_gateway(base: str, key: str) -> tuple[int, str]:
    with httpx.Client(base_url=base, timeout=10.0, trust_env=False) as http:
        resp = http.get(LISTEN_PATH, headers={"Authorization": key})
    return resp.status_code, resp.text


class Bootstrap:
    """Create (or reuse) the smoke API and key; prove one request flows end to end."""

    name = "bootstrap"

    def run(self, ctx: StepContext) -> str:
        from stackctl.clients.gateway import GatewayClient

        path = ctx.state_dir / BOOTSTRAP_FILE
        saved = _load(path)
        if saved and _works(ctx.gateway_url, saved["key"]):
            return f"reused API {API_ID} and its key"
        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                gw.create_api(smoke_api())
                gw.reload()
                key = gw.create_key(smoke_session())
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl logs gateway`") from None
        status, body = _through_gateway(ctx.gateway_url, key)
        if status != 200 or UPSTREAM_MARK not in body:
            raise StepError(self.name, f"request through the gateway got HTTP {status}: "
                            f"{body.strip()[:120]}", "see `stackctl logs gateway upstream`")
        atomic_write_json(path, {"api_id": API_ID, "listen_path": LISTEN_PATH, "key": key},
                          0o600)
        return f"API {API_ID} and a key created; request through the gateway answered 200"


def _load(path: Any) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("key") else None


def _works(base: str, key: str) -> bool:
    try:
        status, body = _through_gateway(base, key)
    except httpx.HTTPError:
        return False
    return status == 200 and UPSTREAM_MARK in body
