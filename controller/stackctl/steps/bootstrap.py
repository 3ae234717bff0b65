"""Smoke bootstrap: the smoke API (through the gateway API, or baked in where the engine's
loads call one: swarm) and a key; a request with it must return the upstream's answer."""

from __future__ import annotations

import json
import time
from typing import Any

from stackctl.clients.dashboard import DashboardClient
from stackctl.clients.gateway import GatewayClient
from stackctl.context import StackContext
from stackctl.dashboard.bootstrap import bootstrap
from stackctl.engine.base import smoke_api
from stackctl.errors import StepError, ToolError
from stackctl.names import SMOKE_API_ID as API_ID
from stackctl.names import SMOKE_LISTEN_PATH as LISTEN_PATH
from stackctl.state import atomic_write_json
from stackctl.tyk.apidef import KEY_HEADER, session

BOOTSTRAP_FILE = "bootstrap.json"
UPSTREAM_MARK = '"upstream"'
"""What the upstream's answer contains (stack/images/upstream/nginx.conf)."""


SMOKE_RATE = 100_000
"""The bootstrap key's limit per second: generous, never hit by a check."""
SERVE_TIMEOUT_S = 20.0
"""How long a new key may take to be served (a baked-in API: every gateway task)."""


def smoke_session() -> dict[str, Any]:
    """A key allowed on the smoke API, with a generous rate limit."""
    return session(API_ID, SMOKE_RATE, 1.0)


def _through_gateway(base: str, key: str) -> tuple[int, str]:
    with GatewayClient(base) as gw:
        reply = gw.through(LISTEN_PATH, {KEY_HEADER: key})
    return reply.status, reply.text


def prove_and_save(ctx: StackContext, step: str, key: str, wait_s: float = 0.0) -> None:
    """A request through the gateway with `key` must return the upstream's answer (retried for
    `wait_s`), else StepError; then the key is saved (0600) for the next `up` and the checks."""
    deadline = time.monotonic() + wait_s
    try:
        status, body = _through_gateway(ctx.gateway_url, key)
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            status, body = _through_gateway(ctx.gateway_url, key)
    except ToolError as exc:
        raise StepError(step, str(exc), "see `stackctl logs gateway`") from None
    if status != 200 or UPSTREAM_MARK not in body:
        raise StepError(step, f"request through the gateway got HTTP {status}: "
                        f"{body.strip()[:120]}", "see `stackctl logs gateway upstream`")
    atomic_write_json(ctx.state_dir / BOOTSTRAP_FILE,
                      {"api_id": API_ID, "listen_path": LISTEN_PATH, "key": key}, 0o600)


class Bootstrap:
    """Create (or reuse) the smoke API and key; prove one request flows end to end."""

    name = "bootstrap"

    def run(self, ctx: StackContext) -> str:
        path = ctx.state_dir / BOOTSTRAP_FILE
        saved = _load(path)
        if ctx.model.settings.profile == "pro":
            return self._through_dashboard(ctx, saved)
        if saved and _works(ctx.gateway_url, saved["key"]):
            return f"reused API {API_ID} and its key"
        make_api = ctx.engine.load_site().api.own  # else baked into every gateway
        try:
            with GatewayClient(ctx.gateway_url, ctx.secrets.gateway_secret) as gw:
                if make_api:
                    gw.create_api(smoke_api())
                    gw.reload()
                key = gw.create_key(smoke_session())
        except ToolError as exc:
            raise StepError(self.name, str(exc), "see `stackctl logs gateway`") from None
        prove_and_save(ctx, self.name, key, 0.0 if make_api else SERVE_TIMEOUT_S)
        return (f"{'API ' + API_ID + ' and a key' if make_api else 'a key for API ' + API_ID}"
                " created; request through the gateway answered 200")


    def _through_dashboard(self, ctx: StackContext, saved: dict[str, str] | None) -> str:
        """Profile pro: organisation, admin, API, policy and key through the Dashboard."""
        secrets = ctx.secrets
        try:
            with DashboardClient(dashboard_url(ctx), secrets.required(
                    "dashboard_admin_secret")) as dash, GatewayClient(
                    ctx.gateway_url, secrets.gateway_secret) as gw:
                done = bootstrap(dash, _Keyed(gw), ctx.state_dir, smoke_api(), LISTEN_PATH,
                                 saved["key"] if saved else None, _serving)
        except ToolError as exc:
            raise StepError(self.name, str(exc),
                            "see `stackctl logs dashboard gateway`") from None
        atomic_write_json(ctx.state_dir / BOOTSTRAP_FILE,
                          {"api_id": API_ID, "listen_path": LISTEN_PATH,
                           "key": done.key.get_secret_value(), "policy_id": done.policy_id,
                           "org_id": done.org_id}, 0o600)
        what = ", ".join(done.created) + " created" if done.created else "all reused"
        return (f"through the Dashboard at {dashboard_url(ctx)}: {what}; request through "
                f"the gateway answered 200; admin credentials in {done.credentials} (0600)")


def dashboard_url(ctx: StackContext) -> str:
    """The Dashboard as the host reaches it (profile pro)."""
    s = ctx.model.settings
    return f"http://{s.network.bind}:{s.dashboard.port}"


class _Keyed:
    """The gateway as the pro bootstrap uses it."""

    def __init__(self, gw: Any) -> None:
        self._gw = gw

    def reload(self) -> None:
        self._gw.reload()

    def get_with_key(self, path: str, key: str) -> tuple[int, str]:
        reply = self._gw.through(path, {KEY_HEADER: key})
        return reply.status, reply.text


def _serving(status: int, body: str) -> bool:
    return status == 200 and UPSTREAM_MARK in body


def _load(path: Any) -> dict[str, str] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("key") else None


def _works(base: str, key: str) -> bool:
    try:
        status, body = _through_gateway(base, key)
    except ToolError:
        return False
    return status == 200 and UPSTREAM_MARK in body
