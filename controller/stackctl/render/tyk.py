"""The Tyk side of the compose file (gateway and its replicas, pump, upstream, their mounted
files) and the helpers the other renderers share (bind mounts, env form, digests)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackctl import assets
from stackctl.images.select import stack_images
from stackctl.model import CERTS_MOUNT, StackModel
from stackctl.names import (
    CONFIG_LABEL,
    FRONT_NETWORK,
    GATE_SERVICE,
    REDIS_NETWORK,
    ROLE_GATEWAY,
    ROLE_PUMP,
    ROLE_UPSTREAM,
    gateway_replica,
    role_labels,
    role_of,
)
from stackctl.render.cluster import HEALTH_INTERVAL
from stackctl.render.pro import ProFiles
from stackctl.rung import shardcount_env
from stackctl.runtime.health import PROBE_KEY, http_probe
from stackctl.state import atomic_write, read_json
from stackctl.tyk.lookup import gateway_endpoint, gateway_listen_port
from stackctl.tyk.render_pump import CSV_DIR, HEALTH_NAME, HEALTH_PORT

GATEWAY_HOME = "/opt/tyk-gateway"
PUMP_HOME = "/opt/tyk-pump"
GATEWAY_PORT = gateway_listen_port()
"""The gateway's port in its container (Tyk's shipped listen_port, from the tables)."""
IMAGE_NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "gateway": ((f"{GATEWAY_HOME}/templates",), (f"{GATEWAY_HOME}/tyk",)),
    "pump": ((), (f"{PUMP_HOME}/tyk-pump",)),
}
"""What a Tyk image's own user must read (everything under) and run, as its Dockerfile
lays it out (the official ENTRYPOINTs; the gateway panics without its templates)."""
MOUNT_MODE = 0o640
"""Every file mounted into a Tyk container: its owner (the host user) and the container's
group (the host user's, `run_as`) read it, nobody else."""
DIR_MODE = 0o750
WRITABLE_DIR_MODE = 0o770
"""`apps/` (the gateway API saves definitions there) and the pump's csv sink."""
UPSTREAM_CONF = "/etc/nginx/nginx.conf"
HELLO_EXPECT = '"redis":{"status":"pass"'
HEALTH = {"interval": HEALTH_INTERVAL, "timeout": "5s", "retries": 3, "start_period": "60s"}
"""Once a minute, as the cluster's checks (see `render.cluster.HEALTH_INTERVAL`): the
start-up watch runs the same test itself while Docker still says `starting`."""
ENV_OVERRIDES_FILE = "env-overrides.json"
"""`{"gateway": {"TYK_GW_...": "..."}, "pump": {...}}`: extra environment per service,
written (atomically) by tools that retune a running stack, e.g. `stackctl sweep`."""


def service_env(state_dir: Path, service: str) -> dict[str, str]:
    """A Redis client's extra environment: the fallback's rung, then the overrides file."""
    env = shardcount_env(state_dir)
    try:
        data = read_json(state_dir / ENV_OVERRIDES_FILE)
    except ValueError:
        data = None
    extra = data.get(service) if isinstance(data, dict) else None
    if isinstance(extra, dict):
        env.update({str(k): str(v) for k, v in extra.items()})
    return env


def environment_of(state_dir: Path, service: str) -> dict[str, Any]:
    env = service_env(state_dir, service)
    return {"environment": env} if env else {}


@dataclass(frozen=True)
class TykFiles:
    """Host paths of the rendered Tyk files the compose file mounts."""

    gateway_conf: Path
    pump_conf: Path
    apps: Path  # writable: the gateway API writes definitions here
    policies: Path
    analytics: Path  # the pump's csv sink
    gateway_env: Path | None = None  # env form: TYK_GW_* file (0600); gateway_conf: secrets
    pump_env: Path | None = None  # env form: TYK_PMP_* file (0600); pump_conf: secrets
    pro: ProFiles | None = None  # profile pro: the dashboard's and the database's files
    users: Mapping[str, str] = field(default_factory=dict)  # service -> `user:` (run_as)
    upstream_conf: Path | None = None  # stackctl's nginx.conf for the upstream


def run_as(image_uid: int, gid: int | None = None) -> str:
    """A Tyk container's `user`: its image's user with the host user's group (reads 0640 files)."""
    return f"{image_uid}:{os.getgid() if gid is None else gid}"


def open_to_group(*paths: Path, writable: tuple[Path, ...] = ()) -> None:
    """Modes for a Tyk container's mounts: files 0640, dirs 0750, `writable` dirs 0770 with
    files 0660 (the gateway API rewrites definitions); files it wrote itself are left alone."""
    uid = os.getuid()
    for path in dict.fromkeys([*paths, *writable]):
        if not path.exists() or path.stat().st_uid != uid:
            continue
        if not path.is_dir():
            path.chmod(MOUNT_MODE)
            continue
        path.chmod(WRITABLE_DIR_MODE if path in writable else DIR_MODE)
        for child in path.iterdir():
            if child.is_file() and child.stat().st_uid == uid:
                child.chmod(MOUNT_MODE | (0o020 if path in writable else 0))


def upstream_conf(state_dir: Path) -> Path:
    """stackctl's nginx.conf (stack/images/upstream), copied for the upstream's bind mount: the
    official nginx image would serve its welcome page; the local image has it baked in."""
    path = state_dir / "upstream" / "nginx.conf"
    data = assets.read_bytes(*assets.IMAGE_RECIPES, "upstream", "nginx.conf")
    if not path.exists() or path.read_bytes() != data:
        atomic_write(path, data)
    return path


def gateway_assets(gateway_dir: Path) -> tuple[Path, Path]:
    """`<gateway_dir>/apps` seeded from stack/tyk/apps (definitions there are kept: the gateway
    API writes there) and `<gateway_dir>/policies`, a copy: real dirs at stable paths."""
    apps = gateway_dir / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    for name in assets.names(*assets.TYK_APPS, suffix=".json"):
        if not (apps / name).exists():
            atomic_write(apps / name, assets.read_bytes(*assets.TYK_APPS, name))
    policies = gateway_dir / "policies"
    policies.mkdir(parents=True, exist_ok=True)
    return apps, assets.copy_tree(policies, *assets.TYK_POLICIES)


def bind_mount(source: Path, target: str, read_only: bool = True) -> dict[str, Any]:
    return {"type": "bind", "source": str(source.resolve()), "target": target,
            "read_only": read_only}


def probe_of(role: str, via: str, host: str) -> dict[str, Any]:
    """The `x-probe` of a gateway (/hello, Redis pass) or the pump (/health), run from `via`."""
    if role == "pump":
        return {PROBE_KEY: http_probe(via, host, HEALTH_PORT, f"/{HEALTH_NAME}", "ok")}
    return {PROBE_KEY: http_probe(via, host, GATEWAY_PORT, gateway_endpoint("hello").path,
                                  HELLO_EXPECT)}


def user_of(files: TykFiles, service: str) -> dict[str, Any]:
    user = files.users.get(service)
    return {"user": user} if user else {}


def certs_mounts(model: StackModel) -> list[dict[str, Any]]:
    return [bind_mount(model.certs_dir, CERTS_MOUNT)] if model.tls else []


def tyk_services(model: StackModel, files: TykFiles) -> dict[str, Any]:
    """Gateway, pump and upstream services."""
    images = stack_images(model.settings)
    bind = str(model.settings.network.bind)
    gate = {GATE_SERVICE: {"condition": "service_healthy"}}
    state_dir = model.settings.state_dir
    gateway = {
        "image": images["gateway"],
        "hostname": "gateway",
        "volumes": [
            bind_mount(files.gateway_conf, f"{GATEWAY_HOME}/tyk.conf"),
            bind_mount(files.apps, f"{GATEWAY_HOME}/apps", read_only=False),
            bind_mount(files.policies, f"{GATEWAY_HOME}/policies"),
            *certs_mounts(model),
        ],
        "networks": {
            FRONT_NETWORK: {"ipv4_address": str(model.front_ip("gateway"))},
            REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip("gateway"))},
        },
        "ports": [f"{bind}:{model.settings.gateway.port}:{GATEWAY_PORT}"],
        "depends_on": {**gate, "upstream": {"condition": "service_started"}},
        **probe_of("gateway", GATE_SERVICE, str(model.redis_side_ip("gateway"))),
        "labels": role_labels(ROLE_GATEWAY),
        **user_of(files, "gateway"),
        **environment_of(state_dir, "gateway"),
    }
    pump = {
        "image": images["pump"],
        "hostname": "pump",
        "volumes": [
            bind_mount(files.pump_conf, f"{PUMP_HOME}/pump.conf"),
            bind_mount(files.analytics, CSV_DIR, read_only=False),
            *certs_mounts(model),
        ],
        "networks": {
            FRONT_NETWORK: {"ipv4_address": str(model.front_ip("pump"))},
            REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip("pump"))},
        },
        "depends_on": gate,
        **probe_of("pump", GATE_SERVICE, str(model.redis_side_ip("pump"))),
        "labels": role_labels(ROLE_PUMP),
        **user_of(files, "pump"),
        **environment_of(state_dir, "pump"),
    }
    upstream: dict[str, Any] = {
        "image": images["upstream"],
        "hostname": "upstream",
        "networks": {FRONT_NETWORK: {"ipv4_address": str(model.front_ip("upstream"))}},
        "labels": role_labels(ROLE_UPSTREAM),
    }
    if files.upstream_conf is not None:
        upstream["volumes"] = [bind_mount(files.upstream_conf, UPSTREAM_CONF)]
    return {"upstream": upstream, "gateway": gateway, **gateway_replicas(model, gateway),
            "pump": pump}


def gateway_replicas(model: StackModel, gateway: dict[str, Any]) -> dict[str, Any]:
    """Services `gateway-2`.. for `gateway.replicas` > 1: unpublished, own pinned addresses."""
    out: dict[str, Any] = {}
    for i in range(1, model.settings.gateway.replicas):
        name = gateway_replica(i)
        out[name] = {**{k: v for k, v in gateway.items() if k != "ports"}, "hostname": name,
                     "networks": {
                         FRONT_NETWORK: {"ipv4_address": str(model.front_ip("gateway", i))},
                         REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip("gateway", i))},
                     },
                     **probe_of("gateway", GATE_SERVICE, str(model.redis_side_ip("gateway", i)))}
    return out


def use_env_form(service: dict[str, Any], tyk: TykFiles) -> None:
    """Env form: an env file on top of a config file holding only the secrets (never argv)."""
    role = role_of(service)
    env = {"gateway": tyk.gateway_env, "pump": tyk.pump_env}.get(str(role))
    if env is not None:
        service["env_file"] = [str(env.resolve())]


def config_sources(env: Path | None, conf: Path) -> tuple[Path, ...]:
    """The rendered files a Tyk service runs from: its config file, and its env file."""
    return (conf,) if env is None else (env, conf)


def label_digest(service: dict[str, Any], *files: Path) -> None:
    """Label `service` with a digest of its rendered files' contents (absent files: none)."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.read_bytes() if path.exists() else b"")
    service["labels"] = {**service.get("labels", {}), CONFIG_LABEL: h.hexdigest()[:16]}
