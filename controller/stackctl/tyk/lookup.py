"""Indexes over the tables: the only way other code asks for a Tyk name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from stackctl.tyk.envconfig import env_name, json_style_env
from stackctl.tyk.schema import (
    Component,
    DashboardEndpoint,
    Endpoint,
    LogSignature,
    Option,
    RateLimiter,
    Role,
    StandaloneEnv,
)
from stackctl.tyk.tables import (
    DASHBOARD_ADMIN_HEADER,
    DASHBOARD_API,
    DASHBOARD_AUTH_HEADER,
    DASHBOARD_NODE_API,
    GATEWAY_API,
    GATEWAY_AUTH_HEADER,
    LOG_SIGNATURES,
    OPTIONS,
    RATE_LIMITERS,
    REDIS_KEY_PREFIXES,
    SHIPPED_GATEWAY,
    SPECS,
    STANDALONE_ENVS,
    WRONG_NAMES,
)


@dataclass(frozen=True)
class Misnamed:
    """A name found in a config that Tyk does not read, and the option meant."""

    wrong: str
    right: Option
    why: str


def options(component: Component, redis: bool | None = None) -> tuple[Option, ...]:
    """A component's names (only its Redis block, or only the rest, when `redis` is given)."""
    return tuple(o for o in OPTIONS
                 if o.component == component and (redis is None or o.redis == redis))


@cache
def _by_key() -> dict[tuple[Component, str], Option]:
    return {(o.component, o.key): o for o in OPTIONS}


def option(component: Component, key: str) -> Option:
    """The option named `key` (relative to the Redis block for Redis names)."""
    return _by_key()[(component, key)]


def find_option(component: Component, key: str) -> Option | None:
    """Like `option`, or None when the table has no such name."""
    return _by_key().get((component, key))


def by_role(component: Component, role: Role) -> Option:
    """The current (non-deprecated) name that carries `role` for `component`."""
    for o in options(component, redis=True):
        if o.role == role and not o.deprecated:
            return o
    raise KeyError(f"{component} has no name for {role}")


@cache
def _env_index() -> dict[str, Option]:
    index: dict[str, Option] = {}
    for o in OPTIONS:
        index[o.env] = o
        for alias in o.alias_envs:
            index[alias] = o
    return index


def by_env(name: str) -> Option | None:
    """The option an environment variable sets, or None."""
    return _env_index().get(name)


def component_of_env(name: str) -> Component | None:
    """Which component's prefix a variable carries."""
    for spec in SPECS.values():
        if name.startswith(spec.env_prefix + "_"):
            return spec.name
    return None


def misnamed_key(component: Component, key: str) -> Misnamed | None:
    """A JSON key (relative to the Redis block) known to be wrong, with the right option."""
    for w in WRONG_NAMES:
        if w.form == "json" and w.component == component and w.wrong == key:
            return Misnamed(key, option(component, w.right), w.why)
    return None


@cache
def _env_misnames() -> dict[str, Misnamed]:
    out: dict[str, Misnamed] = {}
    for o in OPTIONS:
        if o.json_style_env != o.env and not o.env_only:
            out[o.json_style_env] = Misnamed(
                o.json_style_env, o, "envconfig reads Go field names, not JSON keys")
    for w in WRONG_NAMES:
        spec = SPECS[w.component]
        right = option(w.component, w.right)
        if w.form == "env":
            out[w.wrong] = Misnamed(w.wrong, right, w.why)
            continue
        for guess in (env_name(spec.env_prefix, (*spec.go_block, w.wrong.replace("_", ""))),
                      json_style_env(spec.env_prefix, (*spec.block, w.wrong))):
            if guess not in _env_index():
                out.setdefault(guess, Misnamed(guess, right, w.why))
    return out


def misnamed_env(name: str) -> Misnamed | None:
    """An environment variable known to be read by nothing, with the option meant."""
    return _env_misnames().get(name)


def standalone_env(name: str) -> StandaloneEnv | None:
    """A prefix-less variable the tables know (e.g. REDIGOCLUSTER_SHARDCOUNT)."""
    for entry in STANDALONE_ENVS:
        if entry.name == name:
            return entry
    return None


def signatures(component: Component, release: str) -> tuple[LogSignature, ...]:
    """The start-up log lines `component` at `release` prints."""
    return tuple(s for s in LOG_SIGNATURES
                 if s.component == component and s.releases.contains(release))


def all_signatures(component: Component) -> tuple[LogSignature, ...]:
    """Every start-up log line the tables know for `component`, in any release."""
    return tuple(s for s in LOG_SIGNATURES if s.component == component)


def reads_standalone(name: str, component: Component, release: str) -> bool:
    """Whether `component` at `release` reads the prefix-less variable `name`."""
    entry = standalone_env(name)
    return entry is not None and any(
        who == component and span.contains(release) for who, span in entry.readers)


def rate_limiter(name: str) -> RateLimiter:
    """The limiter a `gateway.rate_limiter` value names."""
    for limiter in RATE_LIMITERS:
        if limiter.name == name:
            return limiter
    raise KeyError(f"no rate limiter named {name!r}")


LIMITER_PRECEDENCE = ("fixed-window", "sentinel", "redis-rolling")
"""The order the gateway checks the flags in (session_manager.go); none set: default."""


def limiter_in(values: Mapping[str, object]) -> RateLimiter:
    """The limiter a gateway configuration selects (`values`: dotted JSON keys)."""
    for name in LIMITER_PRECEDENCE:
        limiter = rate_limiter(name)
        if all(values.get(k) is v for k, v in limiter.flags):
            return limiter
    return rate_limiter("default")


def redis_key_prefix(name: str) -> str:
    """The prefix of the gateway's Redis records of kind `name` (session, rate-limit)."""
    for entry in REDIS_KEY_PREFIXES:
        if entry.name == name:
            return entry.prefix
    raise KeyError(f"no Redis key prefix named {name!r}")


def gateway_listen_port() -> int:
    """The gateway's port in its container: the shipped `listen_port` (stackctl keeps it)."""
    port = dict(SHIPPED_GATEWAY.values)["listen_port"]
    assert isinstance(port, int)
    return port


def gateway_endpoint(name: str) -> Endpoint:
    """The gateway API route `name` (hello, apis, api, keys-create, key, reload)."""
    for entry in GATEWAY_API:
        if entry.name == name:
            return entry
    raise KeyError(f"no gateway API route named {name!r}")


def gateway_auth_header() -> str:
    """The header that carries the gateway's API secret."""
    return GATEWAY_AUTH_HEADER


def dashboard_endpoint(name: str) -> DashboardEndpoint:
    """The Dashboard route `name` (its APIs, or what a Dashboard-mode gateway calls)."""
    for entry in (*DASHBOARD_API, *DASHBOARD_NODE_API):
        if entry.name == name:
            return entry
    raise KeyError(f"no dashboard route named {name!r}")


def dashboard_auth_headers() -> dict[str, str]:
    """Header name by auth kind: admin (`admin-auth`), user and node (`authorization`)."""
    return {"admin": DASHBOARD_ADMIN_HEADER, "user": DASHBOARD_AUTH_HEADER,
            "node": DASHBOARD_AUTH_HEADER}
