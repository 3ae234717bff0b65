"""The sweep's API and keys (unlimited: the sweep measures pools, not rate limits),
created and removed through the gateway API with the smoke's helpers."""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient
from stackctl.load import keys as smoke_setup
from stackctl.tyk.apidef import api_definition, session

KEYS = 2
"""Two keys: enough for an auth path per request without filling Redis with sessions."""


def create(gw: GatewayClient, keys: int = KEYS) -> smoke_setup.SmokeSetup:
    """Create the API (served after the reload) and `keys` unlimited keys."""
    api_id = f"stackctl-sweep-{secrets.token_hex(4)}"
    listen_path = f"/{api_id}/"
    gw.create_api(api_definition(api_id, listen_path))
    gw.reload()
    return create_keys(gw, api_id, listen_path, keys)


def create_keys(gw: GatewayClient, api_id: str, listen_path: str, keys: int = KEYS
                ) -> smoke_setup.SmokeSetup:
    """`keys` unlimited keys for an API that exists (on swarm: the one baked into every
    gateway task's configs)."""
    made = []
    for _ in range(keys):
        rate = smoke_setup.UNLIMITED_RATE
        key, key_hash = gw.create_key_hashed(
            session(api_id, rate, smoke_setup.LIMIT_PER_S))
        made.append(smoke_setup.SmokeKey(SecretStr(key), key_hash, rate,
                                         smoke_setup.LIMIT_PER_S, False))
    return smoke_setup.SmokeSetup(api_id, listen_path, tuple(made))


def raw_keys(made: smoke_setup.SmokeSetup) -> tuple[str, ...]:
    """The keys' values, for the load engines only (never printed)."""
    return tuple(k.key.get_secret_value() for k in made.keys)
