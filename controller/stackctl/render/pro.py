"""Profile pro's part of the compose file: the Tyk Dashboard and its PostgreSQL on the
internal `store` network (the gateway has no address there); the dashboard published on
`network.bind` only. No secret in an environment: the database's password is a Compose
secret, the dashboard's licence a mounted 0600 config file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackctl.images.select import stack_images
from stackctl.model import CERTS_MOUNT, StackModel, store_ip
from stackctl.names import (
    DASHBOARD_SERVICE,
    FRONT_NETWORK,
    POSTGRES_SERVICE,
    REDIS_NETWORK,
    ROLE_DASHBOARD,
    ROLE_GATEWAY,
    ROLE_POSTGRES,
    STORE_NETWORK,
    role_labels,
    role_of,
)
from stackctl.tyk.pro import (
    DASHBOARD_HOME,
    DASHBOARD_LISTEN_PORT,
    POSTGRES_DATA,
    POSTGRES_DB,
    POSTGRES_USER,
)

PRO_SERVICES = (POSTGRES_SERVICE, DASHBOARD_SERVICE)
"""Started before the gateway (which registers with the dashboard) and the pump."""
POSTGRES_VOLUME = "postgres-data"
PASSWORD_SECRET = "postgres_password"
PG_HEALTH = {"interval": "60s", "timeout": "5s", "retries": 3, "start_period": "60s"}


@dataclass(frozen=True)
class ProFiles:
    """Host paths of profile pro's rendered files."""

    dashboard_conf: Path  # tyk_analytics.conf, or the secrets-only file (env form)
    postgres_password: Path  # 0600; the Compose secret's source
    dashboard_env: Path | None = None  # env form: TYK_DB_* (0600), no secret in it


def pro_names(model: StackModel) -> tuple[str, ...]:
    """The pro services of this stack (none in oss)."""
    return PRO_SERVICES if model.settings.profile == "pro" else ()


def _bind(source: Path, target: str) -> dict[str, Any]:
    return {"type": "bind", "source": str(source.resolve()), "target": target,
            "read_only": True}


def pg_ready() -> list[str]:
    """The database's healthcheck (pg_isready is on the PATH of both images)."""
    return ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-U", POSTGRES_USER,
            "-d", POSTGRES_DB]


def pro_compose(model: StackModel, files: ProFiles) -> dict[str, Any]:
    """`services`, `networks`, `volumes` and `secrets` to merge into the stack's compose file."""
    images = stack_images(model.settings)
    s = model.settings
    postgres = {
        "image": images["postgres"],
        "hostname": POSTGRES_SERVICE,
        "environment": {"POSTGRES_USER": POSTGRES_USER, "POSTGRES_DB": POSTGRES_DB,
                        "POSTGRES_PASSWORD_FILE": f"/run/secrets/{PASSWORD_SECRET}"},
        "secrets": [PASSWORD_SECRET],
        "volumes": [{"type": "volume", "source": POSTGRES_VOLUME, "target": POSTGRES_DATA}],
        "networks": {STORE_NETWORK: {"ipv4_address": str(store_ip(model, POSTGRES_SERVICE))}},
        "healthcheck": {"test": pg_ready(), **PG_HEALTH},
        "labels": role_labels(ROLE_POSTGRES),
    }
    mounts = [_bind(files.dashboard_conf, f"{DASHBOARD_HOME}/tyk_analytics.conf")]
    if model.tls:
        mounts.append(_bind(model.certs_dir, CERTS_MOUNT))
    dashboard: dict[str, Any] = {
        "image": images["dashboard"],
        "hostname": DASHBOARD_SERVICE,
        "volumes": mounts,
        "networks": {
            FRONT_NETWORK: {"ipv4_address": str(model.front_ip(DASHBOARD_SERVICE))},
            REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip(DASHBOARD_SERVICE))},
            STORE_NETWORK: {"ipv4_address": str(store_ip(model, DASHBOARD_SERVICE))},
        },
        "ports": [f"{s.network.bind}:{s.dashboard.port}:{DASHBOARD_LISTEN_PORT}"],
        "depends_on": {POSTGRES_SERVICE: {"condition": "service_healthy"}},
        "labels": role_labels(ROLE_DASHBOARD),
    }
    if files.dashboard_env is not None:
        dashboard["env_file"] = [str(files.dashboard_env.resolve())]
    return {
        "services": {POSTGRES_SERVICE: postgres, DASHBOARD_SERVICE: dashboard},
        "networks": {STORE_NETWORK: {"internal": True, "ipam": {
            "driver": "default", "config": [{"subnet": str(s.dashboard.store_subnet)}]}}},
        "volumes": {POSTGRES_VOLUME: {}},
        "secrets": {PASSWORD_SECRET: {"file": str(files.postgres_password.resolve())}},
    }


def join_store(model: StackModel, services: dict[str, Any]) -> None:
    """The pump joins the store network, waiting for the database; gateways for the dashboard."""
    pump = services["pump"]
    pump["networks"] = {**pump["networks"], STORE_NETWORK: {
        "ipv4_address": str(store_ip(model, "pump"))}}
    pump["depends_on"] = {**pump.get("depends_on", {}),
                          POSTGRES_SERVICE: {"condition": "service_healthy"}}
    for service in services.values():
        if role_of(service) == ROLE_GATEWAY:
            service["depends_on"] = {**service.get("depends_on", {}),
                                     DASHBOARD_SERVICE: {"condition": "service_started"}}
