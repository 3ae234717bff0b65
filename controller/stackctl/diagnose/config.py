"""A component's effective Redis settings: its rendered config file, then any
environment override in the rendered compose file (names from the tables)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from stackctl.errors import ConfigError
from stackctl.tyk.bundle import RENDERED_DIR
from stackctl.tyk.envconfig import parse_bool, parse_list
from stackctl.tyk.lookup import by_env, by_role
from stackctl.tyk.schema import Component, Role
from stackctl.tyk.tables import SPECS


@dataclass(frozen=True)
class Mount:
    """One bind mount of the component's container."""

    source: str
    target: str


@dataclass(frozen=True)
class ClientConfig:
    """How a component is configured to reach Redis (the password stays a SecretStr)."""

    component: Component
    addrs: tuple[str, ...]
    username: str
    password: SecretStr
    database: int = 0
    enable_cluster: bool = True
    use_ssl: bool = False
    skip_verify: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    mounts: tuple[Mount, ...] = field(default=())

    def host_path(self, container_path: str) -> Path | None:
        """The host file behind a path inside the component's container."""
        for m in sorted(self.mounts, key=lambda m: len(m.target), reverse=True):
            if container_path == m.target or container_path.startswith(m.target + "/"):
                return Path(m.source + container_path[len(m.target):])
        return None

    def public(self) -> dict[str, Any]:
        """JSON view without the password."""
        return {"component": self.component, "addrs": list(self.addrs),
                "username": self.username, "database": self.database,
                "enable_cluster": self.enable_cluster, "use_ssl": self.use_ssl,
                "skip_verify": self.skip_verify, "ca_file": self.ca_file,
                "cert_file": self.cert_file, "key_file": self.key_file}


_ROLES: tuple[Role, ...] = ("addrs", "username", "password", "database", "enable_cluster",
                            "use_ssl", "skip_verify", "ca_file", "cert_file", "key_file")


def _from_json(doc: dict[str, Any], component: Component) -> dict[Role, Any]:
    values: dict[Role, Any] = {}
    for role in _ROLES:
        node: Any = doc
        for part in by_role(component, role).json_path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            values[role] = node
    return values


def _from_env(env: dict[str, str], component: Component) -> dict[Role, Any]:
    values: dict[Role, Any] = {}
    for name, text in env.items():
        opt = by_env(name)
        if opt is None or opt.component != component or opt.role not in _ROLES:
            continue
        value: Any = text
        if opt.kind == "bool":
            value = parse_bool(text)
        elif opt.kind == "list":
            value = parse_list(text)
        elif opt.kind == "int":
            value = int(text) if text.strip().lstrip("-").isdigit() else text
        values[opt.role] = value
    return values


def _mounts(service: dict[str, Any]) -> tuple[Mount, ...]:
    return tuple(Mount(str(vol["source"]), str(vol["target"]))
                 for vol in service.get("volumes", [])
                 if isinstance(vol, dict) and vol.get("type") == "bind")


def read_client(state_dir: Path, compose: dict[str, Any], component: Component
                ) -> ClientConfig:
    """`component`'s effective settings; ConfigError when its file is missing or broken."""
    path = state_dir / RENDERED_DIR / SPECS[component].conf_file
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(str(path), f"cannot be read ({exc})",
                          "run `stackctl up` (or `stackctl render`) first") from None
    service = compose.get("services", {}).get(component, {})
    env = {str(k): str(v) for k, v in (service.get("environment") or {}).items()}
    values = {**_from_json(doc, component), **_from_env(env, component)}
    database = values.get("database", 0)
    return ClientConfig(
        component=component,
        addrs=tuple(str(a) for a in values.get("addrs", [])),
        username=str(values.get("username", "")),
        password=SecretStr(str(values.get("password", ""))),
        database=database if isinstance(database, int) else -1,
        enable_cluster=values.get("enable_cluster") is True,
        use_ssl=values.get("use_ssl") is True,
        skip_verify=values.get("skip_verify") is True,
        ca_file=str(values.get("ca_file", "")),
        cert_file=str(values.get("cert_file", "")),
        key_file=str(values.get("key_file", "")),
        mounts=_mounts(service),
    )
