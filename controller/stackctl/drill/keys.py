"""The drill's API and keys: unlimited keys (the sweep's helpers) created until their
sessions cover every primary's slots, so a primary fault always hits some of the load."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from pydantic import SecretStr

from stackctl.clients.gateway import GatewayClient
from stackctl.cluster.readiness import ClusterNode
from stackctl.drill.slots import in_ranges, session_slot
from stackctl.engine.base import Engine
from stackctl.errors import ToolError
from stackctl.load import keys as smoke_setup
from stackctl.tyk.apidef import api_definition, session

MAX_KEYS = 32


def covered(key_hashes: Sequence[str], view: Sequence[ClusterNode]) -> bool:
    """Every primary serving slots holds at least one of the keys' sessions."""
    slots = [session_slot(h) for h in key_hashes]
    return all(any(in_ranges(s, p.slots) for s in slots)
               for p in view if p.primary and p.slot_count)


def on_node(key_hashes: Sequence[str], ranges: Sequence[str]) -> int:
    """How many of the keys' sessions live in `ranges` (a node's slots)."""
    return sum(1 for h in key_hashes if in_ranges(session_slot(h), ranges))


def create_keys(gw: GatewayClient, api_id: str, view: Sequence[ClusterNode], at_least: int,
                made: list[smoke_setup.SmokeKey]) -> None:
    """At least `at_least` unlimited keys for `api_id`, more until every primary in
    `view` holds one (at most MAX_KEYS), appended to `made` as they are created."""
    rate = smoke_setup.UNLIMITED_RATE
    while len(made) < at_least or (
            len(made) < MAX_KEYS and not covered([k.key_hash for k in made], view)):
        key, key_hash = gw.create_key_hashed(session(api_id, rate, smoke_setup.LIMIT_PER_S))
        made.append(smoke_setup.SmokeKey(SecretStr(key), key_hash, rate,
                                         smoke_setup.LIMIT_PER_S, False))


def create(gw: GatewayClient, view: Sequence[ClusterNode], at_least: int
           ) -> smoke_setup.SmokeSetup:
    """The API (served after the reload) and at least `at_least` unlimited keys, more
    until every primary in `view` holds one (at most MAX_KEYS); what was made is
    removed again when a call fails."""
    api_id = f"stackctl-drill-{secrets.token_hex(4)}"
    listen_path = f"/{api_id}/"
    made: list[smoke_setup.SmokeKey] = []
    gw.create_api(api_definition(api_id, listen_path))
    try:
        gw.reload()
        create_keys(gw, api_id, view, at_least, made)
    except ToolError:
        smoke_setup.cleanup(gw, smoke_setup.SmokeSetup(api_id, listen_path, tuple(made)))
        raise
    return smoke_setup.SmokeSetup(api_id, listen_path, tuple(made))


def keys_for(gw: GatewayClient, api_id: str, listen_path: str, view: Sequence[ClusterNode],
             at_least: int) -> smoke_setup.SmokeSetup:
    """Keys (as `create`) for an API that exists already (swarm: the smoke API baked into
    every gateway task); the keys made are deleted again when a call fails."""
    made: list[smoke_setup.SmokeKey] = []
    try:
        create_keys(gw, api_id, view, at_least, made)
    except ToolError:
        smoke_setup.delete_keys(gw, made)
        raise
    return smoke_setup.SmokeSetup(api_id, listen_path, tuple(made))


def make_api(engine: Engine, gw: GatewayClient, view: Sequence[ClusterNode], at_least: int
             ) -> tuple[smoke_setup.SmokeSetup, int]:
    """The API the engine's loads call (`LoadApi`: a fresh one, or keys for the one baked
    into every gateway) with its keys; and the pump's records for it now (this run's are
    what it grows by)."""
    api = engine.load_site().api
    made = create(gw, view, at_least) if api.own else \
        keys_for(gw, api.api_id, api.listen_path, view, at_least)
    return made, engine.pump_records(made.api_id) or 0


def drop_api(engine: Engine, gw: GatewayClient, made: smoke_setup.SmokeSetup) -> list[str]:
    """Remove what `make_api` made (a baked-in API stays); the problems met."""
    if engine.load_site().api.own:
        return smoke_setup.cleanup(gw, made)
    return smoke_setup.delete_keys(gw, made.keys)


def delivered(engine: Engine, api_id: str, base: int) -> int:
    """Records the pump delivered for `api_id` since `make_api` (ToolError when its csv
    sink cannot be read from here: swarm, the pump's task on another node)."""
    now = engine.pump_records(api_id)
    if now is None:
        raise ToolError("analytics: the pump's task is not on this node")
    return max(0, now - base)
