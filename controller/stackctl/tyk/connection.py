"""The one Redis-connection model every component's configuration is rendered from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from stackctl.model import StackModel, tls_paths
from stackctl.secrets import Secrets
from stackctl.tyk.lookup import by_role
from stackctl.tyk.schema import Component, Option, Role
from stackctl.tyk.tables import DEFAULT_TIMEOUT_S, TLS_MAX, TLS_MIN


@dataclass(frozen=True)
class RedisConnection:
    """How one component reaches the Redis Cluster: all nodes, cluster on, database 0."""

    component: Component
    addrs: tuple[str, ...]
    username: str
    password: SecretStr
    max_active: int
    timeout: int = DEFAULT_TIMEOUT_S
    enable_cluster: bool = True
    database: int = 0
    use_ssl: bool = False
    skip_verify: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    tls_min: str | None = None
    tls_max: str | None = None

    def roles(self) -> dict[Role, Any]:
        """The values by role, secrets in clear (for renderers only; never print this)."""
        values: dict[Role, Any] = {
            "addrs": list(self.addrs),
            "enable_cluster": self.enable_cluster,
            "database": self.database,
            "username": self.username,
            "password": self.password.get_secret_value(),
            "max_active": self.max_active,
            "timeout": self.timeout,
            "use_ssl": self.use_ssl,
        }
        optional: dict[Role, Any] = {
            "skip_verify": self.skip_verify or None,
            "ca_file": self.ca_file, "cert_file": self.cert_file, "key_file": self.key_file,
            "tls_min": self.tls_min, "tls_max": self.tls_max,
        }
        values.update({k: v for k, v in optional.items() if v is not None})
        return values


def _max_active(model: StackModel, component: Component) -> int:
    s = model.settings
    return {"gateway": s.gateway.max_active, "pump": s.pump.max_active,
            "dashboard": s.dashboard.max_active}[component]


def _timeout(model: StackModel, component: Component) -> int:
    """The gateway's storage timeout is a setting; the others keep Tyk's default."""
    return model.settings.gateway.storage_timeout_s if component == "gateway" else DEFAULT_TIMEOUT_S


def build_connection(model: StackModel, secrets: Secrets,
                     component: Component) -> RedisConnection:
    """Derive `component`'s connection from the model, the settings' TLS mode and secrets."""
    mode = model.tls_mode
    tls: dict[str, Any] = {}
    if mode != "off":
        tls["use_ssl"] = True
    if mode == "insecure":
        tls["skip_verify"] = True
    if mode in ("tls", "mtls"):
        paths = tls_paths(component)
        tls.update(ca_file=paths.ca, tls_min=TLS_MIN, tls_max=TLS_MAX)
        if mode == "mtls":
            tls.update(cert_file=paths.cert, key_file=paths.key)
    return RedisConnection(
        component=component,
        addrs=tuple(model.addrs),
        username=model.redis_user,
        password=secrets.redis_password,
        max_active=_max_active(model, component),
        timeout=_timeout(model, component),
        **tls,
    )


def storage_entries(conn: RedisConnection) -> list[tuple[Option, Any]]:
    """(option, value) pairs of `conn.component`'s Redis settings, via the role table."""
    return [(by_role(conn.component, role), value) for role, value in conn.roles().items()]
