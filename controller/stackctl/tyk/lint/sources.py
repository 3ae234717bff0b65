"""Read a user's file (JSON config or KEY=VALUE env file) and tell which component it is."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl.tyk.envconfig import env_name
from stackctl.tyk.lint.findings import Finding, finding
from stackctl.tyk.lookup import component_of_env, standalone_env
from stackctl.tyk.schema import Component, Form
from stackctl.tyk.tables import SPECS

_MARKERS: tuple[tuple[Component, tuple[str, ...]], ...] = (
    ("dashboard", ("redis_addrs", "redis_host", "license_key", "mongo_url", "enable_cluster",
                   "tyk_api_config", "admin_secret")),
    ("pump", ("analytics_storage_config", "pumps", "purge_delay")),
    ("gateway", ("storage", "listen_port", "app_path", "cache_storage", "policies")),
)
"""Top-level JSON keys that identify a component, checked in this order (the Dashboard's
first: its file has `storage` and `listen_port` too, and none of its keys is another's)."""


@dataclass
class Source:
    """One component's settings as found in one file."""

    file: str
    component: Component
    form: Form
    data: dict[str, Any]  # JSON document, or {variable: raw value}
    standalone: dict[str, str] = field(default_factory=dict)  # prefix-less known variables


def _json_component(doc: dict[str, Any]) -> Component | None:
    for component, keys in _MARKERS:
        if any(k in doc for k in keys):
            return component
    return "dashboard" if any(k.startswith("redis_") for k in doc) else None


def parse_env(text: str) -> dict[str, str]:
    """KEY=VALUE lines as .env and compose env files write them (comments, export, quotes)."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.removeprefix("export ").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    return out


def _env_sources(name: str, env: dict[str, str]) -> list[Source]:
    groups: dict[Component, dict[str, str]] = {}
    standalone = {k: v for k, v in env.items() if standalone_env(k) is not None}
    for key, value in env.items():
        component = component_of_env(key)
        if component is not None:
            groups.setdefault(component, {})[key] = value
    return [Source(name, c, "env", data, standalone) for c, data in groups.items()]


def read_sources(path: Path) -> tuple[list[Source], list[Finding]]:
    """The component settings in `path`, or findings saying why there are none."""
    name = str(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        return [], [finding("unreadable", name, "", reason=str(exc))]
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            return [], [finding("unreadable", name, "", reason=f"invalid JSON ({exc})")]
        component = _json_component(doc)
        if component is None:
            return [], [finding("unknown-component", name, "")]
        return [Source(name, component, "json", doc)], []
    env = parse_env(text)
    sources = _env_sources(name, env)
    if not sources:
        standalone = {k: v for k, v in env.items() if standalone_env(k) is not None}
        if standalone:
            return [Source(name, c, "env", {}, standalone) for c in ("gateway", "pump")], []
        return [], [finding("unknown-component", name, "")]
    return sources, []


def redis_env_prefixes(component: Component) -> tuple[str, ...]:
    """Variable prefixes of `component`'s Redis block (the pump reads two more)."""
    spec = SPECS[component]
    main = env_name(spec.env_prefix, spec.go_block) + "_" if spec.go_block else (
        spec.env_prefix + "_REDIS")
    return (main, *(p + "_" for p in spec.alias_env_prefixes))
