"""The compose file of a stack against an existing cluster (`redis.mode = external`):
gateway, pump and upstream only, with the Redis side of gateway and pump on the user's
Docker network (declared `external`, so `down` never removes it) and the user's CA and
client certificate mounted where the rendered Tyk configs expect them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackctl.model import CERTS_MOUNT, StackModel, tls_paths
from stackctl.names import (
    EXTERNAL_NETWORK,
    FRONT_NETWORK,
    GATE_SERVICE,
    REDIS_NETWORK,
    ROLE_GATEWAY,
    role_of,
)
from stackctl.render.tyk import (
    MOUNT_MODE,
    TykFiles,
    bind_mount,
    config_sources,
    label_digest,
    tyk_services,
    use_env_form,
)
from stackctl.runtime.health import PROBE_KEY
from stackctl.state import atomic_write

TLS_DIR = "external-tls"
"""Copies of the user's CA, certificate and key (0640, `render.tyk.MOUNT_MODE`): the
Tyk containers run as their image's user with the host user's group, which may not read
the originals (a key is often 0600)."""


def _staged(model: StackModel, source: Path, name: str) -> Path:
    """`source` copied into the state directory at 0640 (rewritten when it changed)."""
    path = model.settings.state_dir / TLS_DIR / name
    data = source.read_bytes() if source.is_file() else b""
    if not path.exists() or path.read_bytes() != data:
        atomic_write(path, data, MOUNT_MODE)
    return path


def _tls_binds(model: StackModel, component: str) -> list[dict[str, Any]]:
    ext = model.settings.redis.external
    paths = tls_paths(component)
    pairs = [(ext.ca_file, paths.ca, "ca.crt"), (ext.cert_file, paths.cert, "client.crt"),
             (ext.key_file, paths.key, "client.key")]
    return [bind_mount(_staged(model, Path(source), name), target)
            for source, target, name in pairs if source]


def _to_external(model: StackModel, service: dict[str, Any]) -> None:
    role = role_of(service) or ""
    networks = service.get("networks", {})
    if REDIS_NETWORK in networks:
        del networks[REDIS_NETWORK]
        networks[EXTERNAL_NETWORK] = {}
    if PROBE_KEY in service:  # no gate here: the upstream (nginx, Debian: bash) probes
        front = networks[FRONT_NETWORK]["ipv4_address"]
        service[PROBE_KEY] = {**service[PROBE_KEY], "via": "upstream", "host": front}
    depends = {k: v for k, v in service.get("depends_on", {}).items() if k != GATE_SERVICE}
    if depends:
        service["depends_on"] = depends
    else:
        service.pop("depends_on", None)
    volumes = [m for m in service.get("volumes", []) if m.get("target") != CERTS_MOUNT]
    if model.tls and role in ("gateway", "pump"):
        volumes += _tls_binds(model, role)
    if "volumes" in service:
        service["volumes"] = volumes


def external_stack(model: StackModel, tyk: TykFiles) -> dict[str, Any]:
    """The full compose model in external mode: no Redis service at all."""
    services = tyk_services(model, tyk)
    for service in services.values():
        _to_external(model, service)
        use_env_form(service, tyk)
    for service in services.values():
        if role_of(service) == ROLE_GATEWAY:
            label_digest(service, *config_sources(tyk.gateway_env, tyk.gateway_conf))
    label_digest(services["pump"], *config_sources(tyk.pump_env, tyk.pump_conf))
    networks = {
        FRONT_NETWORK: {"ipam": {"driver": "default",
                                 "config": [{"subnet": str(model.settings.network.subnet)}]}},
        EXTERNAL_NETWORK: {"external": True, "name": model.settings.redis.external.network},
    }
    return {"name": model.settings.project, "services": services, "networks": networks}
