"""The smoke's API and keys, created and removed through the gateway API."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient
from stackctl.errors import ToolError

UPSTREAM = "http://upstream:80/"
UNLIMITED_RATE = 1_000_000
LIMIT_PER_S = 60.0
"""Every key's window: long enough that its counter outlives a short run."""
READY_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SmokeKey:
    """A key and its limit (`rate` requests per `per` seconds)."""

    key: SecretStr
    key_hash: str
    rate: int
    per: float
    limited: bool


@dataclass(frozen=True)
class SmokeSetup:
    """What one smoke run created."""

    api_id: str
    listen_path: str
    keys: tuple[SmokeKey, ...]


def new_api_id() -> str:
    """A fresh id: this run's analytics records are then exactly those with this id."""
    return f"stackctl-smoke-{secrets.token_hex(4)}"


def api_definition(api_id: str, listen_path: str) -> dict[str, Any]:
    """A keyed API proxying to the stack's upstream."""
    return {
        "name": api_id, "api_id": api_id, "org_id": "default", "active": True,
        "use_keyless": False, "auth": {"auth_header_name": "Authorization"},
        "version_data": {"not_versioned": True, "versions": {
            "Default": {"name": "Default", "use_extended_paths": True}}},
        "proxy": {"listen_path": listen_path, "target_url": UPSTREAM,
                  "strip_listen_path": True},
    }


def session(api_id: str, rate: int, per: float) -> dict[str, Any]:
    """A key on `api_id` limited to `rate` per `per` seconds, no quota."""
    return {
        "allowance": rate, "rate": rate, "per": per, "expires": 0, "quota_max": -1,
        "org_id": "default",
        "access_rights": {api_id: {"api_id": api_id, "api_name": api_id,
                                   "versions": ["Default"]}},
    }


def key_limits(keys: int, limit: int) -> list[tuple[int, bool]]:
    """(rate, limited) per key: a third of them (at least one) limited to `limit`."""
    limited = max(1, keys // 3)
    return [(limit, True) if i < limited else (UNLIMITED_RATE, False) for i in range(keys)]


def create(gw: GatewayClient, keys: int, limit: int) -> SmokeSetup:
    """Create the API, reload, and create the keys (what was made is removed again when
    a step fails)."""
    api_id = new_api_id()
    listen_path = f"/{api_id}/"
    made: list[SmokeKey] = []
    gw.create_api(api_definition(api_id, listen_path))
    try:
        gw.reload()
        for rate, limited in key_limits(keys, limit):
            key, key_hash = gw.create_key_hashed(session(api_id, rate, LIMIT_PER_S))
            made.append(SmokeKey(SecretStr(key), key_hash, rate, LIMIT_PER_S, limited))
    except ToolError:
        cleanup(gw, SmokeSetup(api_id, listen_path, tuple(made)))
        raise
    return SmokeSetup(api_id, listen_path, tuple(made))


def wait_serving(base_url: str, setup: SmokeSetup) -> int:
    """Poll the API with an unlimited key until it answers 200 (the reload took).
    Returns how many requests it sent (the gateway records each one)."""
    key = next(k for k in setup.keys if not k.limited).key.get_secret_value()
    deadline = time.monotonic() + READY_TIMEOUT_S
    sent, last = 0, "no answer"
    with httpx.Client(base_url=base_url, timeout=5.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            try:
                resp = http.get(setup.listen_path, headers={"Authorization": key})
            except httpx.HTTPError as exc:
                last = f"{exc.__class__.__name__}"
            else:
                sent += 1
                if resp.status_code == 200:
                    return sent
                last = f"HTTP {resp.status_code}"
            time.sleep(0.2)
    raise ToolError(f"smoke API {setup.api_id} never answered 200 after the reload ({last})")


def unauthorized_statuses(base_url: str, setup: SmokeSetup) -> list[int]:
    """Statuses for a request with no key and one with a made-up key (401/403 expected)."""
    bogus = {"Authorization": f"stackctl-bogus-{secrets.token_hex(8)}"}
    with httpx.Client(base_url=base_url, timeout=5.0, trust_env=False) as http:
        return [http.get(setup.listen_path).status_code,
                http.get(setup.listen_path, headers=bogus).status_code]


def cleanup(gw: GatewayClient, setup: SmokeSetup) -> list[str]:
    """Delete the keys and the API, reload; the problems met (best effort)."""
    problems: list[str] = []
    for k in setup.keys:
        raw = k.key.get_secret_value()
        try:
            gw.delete_key(raw)
        except ToolError as exc:
            if "404" not in str(exc):  # a 404 means already revoked
                problems.append(str(exc).replace(raw, "<key>"))
    try:
        gw.delete_api(setup.api_id)
    except ToolError as exc:
        problems.append(str(exc))
    try:
        gw.reload()
    except ToolError as exc:
        problems.append(str(exc))
    return problems
