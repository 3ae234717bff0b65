"""The API and keys a load calls (the smoke, the sweep, the drill), created and removed
through the gateway API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient, GatewayError
from stackctl.errors import ToolError
from stackctl.tyk.apidef import KEY_HEADER, api_definition, session

UNLIMITED_RATE = 1_000_000
LIMIT_PER_S = 60.0
"""Every key's window: long enough that its counter outlives a short run."""
READY_TIMEOUT_S = 15.0
REQUEST_TIMEOUT_S = 5.0


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


def key_limits(keys: int, limit: int) -> list[tuple[int, bool]]:
    """(rate, limited) per key: a third of them (at least one) limited to `limit`."""
    limited = max(1, keys // 3)
    return [(limit, True) if i < limited else (UNLIMITED_RATE, False) for i in range(keys)]


def new_api(gw: GatewayClient) -> SmokeSetup:
    """A fresh API, served after the reload (removed again when the reload fails)."""
    api_id = new_api_id()
    made = SmokeSetup(api_id, f"/{api_id}/", ())
    gw.create_api(api_definition(api_id, made.listen_path))
    try:
        gw.reload()
    except ToolError:
        cleanup(gw, made)
        raise
    return made


def create(gw: GatewayClient, keys: int, limit: int) -> SmokeSetup:
    """Create a fresh API, reload, and create the keys (removed again when a step fails)."""
    made = new_api(gw)
    return create_keys(gw, made.api_id, made.listen_path, keys, limit, drop_api=True)


def create_keys(gw: GatewayClient, api_id: str, listen_path: str, keys: int, limit: int,
                drop_api: bool = False) -> SmokeSetup:
    """Keys for an existing API, a third limited (`key_limits`); all deleted again on a failure."""
    made: list[SmokeKey] = []
    try:
        for rate, limited in key_limits(keys, limit):
            key, key_hash = gw.create_key_hashed(session(api_id, rate, LIMIT_PER_S))
            made.append(SmokeKey(SecretStr(key), key_hash, rate, LIMIT_PER_S, limited))
    except ToolError:
        gone = SmokeSetup(api_id, listen_path, tuple(made))
        if drop_api:
            cleanup(gw, gone)
        else:
            delete_keys(gw, made)
        raise
    return SmokeSetup(api_id, listen_path, tuple(made))


def wait_serving(gw: GatewayClient, setup: SmokeSetup) -> int:
    """Poll the API with an unlimited key until it answers 200; the requests sent (recorded)."""
    key = next(k for k in setup.keys if not k.limited).key.get_secret_value()
    deadline = time.monotonic() + READY_TIMEOUT_S
    sent, last = 0, "no answer"
    while time.monotonic() < deadline:
        try:
            reply = gw.through(setup.listen_path, {KEY_HEADER: key}, timeout=REQUEST_TIMEOUT_S)
        except GatewayError as exc:
            last = str(exc)
        else:
            sent += 1
            if reply.status == 200:
                return sent
            last = f"HTTP {reply.status}"
        time.sleep(0.2)
    raise ToolError(f"smoke API {setup.api_id} at {gw.base_url}{setup.listen_path} never "
                    f"answered 200 after the reload ({last})")


def unauthorized_statuses(gw: GatewayClient, setup: SmokeSetup) -> list[int]:
    """Statuses for a request with no key and one with a made-up key (401/403 expected)."""
    bogus = {KEY_HEADER: f"stackctl-bogus-{secrets.token_hex(8)}"}
    return [gw.through(setup.listen_path, timeout=REQUEST_TIMEOUT_S).status,
            gw.through(setup.listen_path, bogus, timeout=REQUEST_TIMEOUT_S).status]


def delete_keys(gw: GatewayClient, keys: Sequence[SmokeKey]) -> list[str]:
    """Delete the keys (their API stays); the problems met, keys masked (best effort)."""
    problems: list[str] = []
    for k in keys:
        raw = k.key.get_secret_value()
        try:
            gw.delete_key(raw)
        except GatewayError as exc:
            if exc.status != 404:  # a 404 means already revoked
                problems.append(str(exc).replace(raw, "<key>"))
    return problems


def cleanup(gw: GatewayClient, setup: SmokeSetup) -> list[str]:
    """Delete the keys and the API, reload; the problems met (best effort)."""
    problems = delete_keys(gw, setup.keys)
    try:
        gw.delete_api(setup.api_id)
    except ToolError as exc:
        problems.append(str(exc))
    try:
        gw.reload()
    except ToolError as exc:
        problems.append(str(exc))
    return problems


def unlimited_keys(gw: GatewayClient, api_id: str, listen_path: str, keys: int
                   ) -> SmokeSetup:
    """`keys` unlimited keys for an existing API (the sweep's: it measures pools, not limits)."""
    made = []
    for _ in range(keys):
        key, key_hash = gw.create_key_hashed(session(api_id, UNLIMITED_RATE, LIMIT_PER_S))
        made.append(SmokeKey(SecretStr(key), key_hash, UNLIMITED_RATE, LIMIT_PER_S, False))
    return SmokeSetup(api_id, listen_path, tuple(made))


def raw_keys(made: SmokeSetup) -> tuple[str, ...]:
    """The keys' values, for the load engines only (never printed)."""
    return tuple(k.key.get_secret_value() for k in made.keys)
