"""Profile pro's bootstrap through the Dashboard's APIs, idempotent (found by name or id
before created; saved credentials and key reused while they work). Order: /hello;
organisation; admin user (+ password reset); the smoke API; a policy; the gateway
reloads; a key on that policy; then requests through the gateway until it answers 200."""

from __future__ import annotations

import secrets as _random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import SecretStr

from stackctl.clients.dashboard import DashboardClient, DashboardError, wait_hello
from stackctl.dashboard.credentials import (
    ADMIN_EMAIL,
    ORG_NAME,
    ORG_SLUG,
    AdminCredentials,
    credentials_path,
    load_credentials,
    save_credentials,
)
from stackctl.errors import ToolError
from stackctl.tyk.apidef import policy, policy_session

HELLO_TIMEOUT_S = 90.0
SERVE_TIMEOUT_S = 30.0
POLICY_NAME = "stackctl-smoke"
POLICY_RATE = 100_000
"""The bootstrap key's limit per second (through its policy): never hit by a check."""


@dataclass(frozen=True)
class ProBootstrap:
    """What the bootstrap made or found."""

    org_id: str
    api_id: str
    policy_id: str
    key: SecretStr
    credentials: Path
    created: tuple[str, ...]  # what was created this time (empty: all reused)


class Gateway(Protocol):
    """What the bootstrap needs of the gateway: a reload, and a keyed request (status, body)."""

    def reload(self) -> None:
        """Reload the gateway (it fetches APIs and policies from the Dashboard)."""

    def get_with_key(self, path: str, key: str) -> tuple[int, str]:
        """GET `path` through the gateway with `key`."""


def _admin(dash: DashboardClient, state_dir: Path, created: list[str]) -> AdminCredentials:
    """The organisation (by name) and its admin user (saved credentials reused while valid)."""
    orgs = [o for o in dash.organisations() if o.get("owner_name") == ORG_NAME]
    saved = load_credentials(state_dir)
    if orgs:
        org_id = str(orgs[0].get("id") or orgs[0].get("_id") or "")
        if saved is not None and saved.org_id == org_id:
            try:
                dash.with_user_key(saved.access_key).user(saved.user_id)
                return saved
            except DashboardError as exc:
                if exc.status not in (401, 403, 404):
                    raise
    else:
        org_id = dash.create_organisation(ORG_NAME, ORG_SLUG)
        created.append("organisation")
    try:
        user_id, key = dash.create_user(org_id, ADMIN_EMAIL, "stackctl", "admin")
    except DashboardError as exc:
        if exc.status in (400, 409):
            raise DashboardError(
                f"{exc}; the Dashboard has organisation {ORG_NAME} and its admin, but "
                f"{state_dir}/dashboard-admin.json is lost or stale: `stackctl down "
                "--volumes` then `stackctl up` starts the Dashboard's database afresh",
                exc.url, exc.status) from None
        raise
    password = SecretStr(_random.token_urlsafe(18))
    dash.with_user_key(key).reset_password(user_id, password)
    created.append("admin user")
    creds = AdminCredentials(org_id, user_id, ADMIN_EMAIL, key, password)
    save_credentials(state_dir, creds)
    return creds


def _ensure_api(user: DashboardClient, definition: dict[str, Any], created: list[str]) -> None:
    if not any(a.get("api_id") == definition["api_id"] for a in user.apis()):
        user.create_api(definition)
        created.append("API")


def _ensure_policy(user: DashboardClient, org_id: str, api_id: str, created: list[str]
                   ) -> str:
    for found in user.policies():
        if found.get("name") == POLICY_NAME:
            return str(found.get("_id") or found.get("id") or "")
    created.append("policy")
    return user.create_policy(policy(POLICY_NAME, org_id, api_id, POLICY_RATE))


def bootstrap(dash: DashboardClient, gateway: Gateway, state_dir: Path,
              definition: dict[str, Any], listen_path: str, saved_key: str | None,
              serving: Callable[[int, str], bool],
              serve_timeout: float = SERVE_TIMEOUT_S, poll: float = 0.5) -> ProBootstrap:
    """Everything above, once (`saved_key` reused while it answers); ToolError naming the call."""
    wait_hello(dash, HELLO_TIMEOUT_S, poll=min(1.0, max(poll, 0.01)))
    created: list[str] = []
    creds = _admin(dash, state_dir, created)
    definition = {**definition, "org_id": creds.org_id}
    api_id = str(definition["api_id"])
    with dash.with_user_key(creds.access_key) as user:
        _ensure_api(user, definition, created)
        policy_id = _ensure_policy(user, creds.org_id, api_id, created)
        gateway.reload()
        if saved_key is not None and serving(*gateway.get_with_key(listen_path, saved_key)):
            key = SecretStr(saved_key)
        else:
            key, _ = user.create_key(
                policy_session(creds.org_id, api_id, policy_id, POLICY_RATE))
            created.append("key")
    deadline = time.monotonic() + serve_timeout
    last = "no answer"
    while True:
        try:
            status, body = gateway.get_with_key(listen_path, key.get_secret_value())
        except ToolError as exc:
            last = str(exc)
        else:
            if serving(status, body):
                break
            last = f"HTTP {status}: {' '.join(body.split())[:100]}"
        if time.monotonic() >= deadline:
            raise ToolError(f"the gateway never served {listen_path} with the bootstrap's key "
                            f"within {serve_timeout:.0f} s ({last})")
        time.sleep(poll)

    return ProBootstrap(creds.org_id, api_id, policy_id, key, credentials_path(state_dir),
                        tuple(created))
