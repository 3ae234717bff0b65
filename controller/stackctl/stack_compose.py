"""The whole stack's compose file: the Redis Cluster plus Tyk Gateway, Pump and upstream.

Only the gateway is published, on `network.bind` (127.0.0.1 by default). Redis stays on
the internal `redis` network; gateway and pump join both networks at pinned addresses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackctl import assets
from stackctl.cluster.compose import GATE_SERVICE, HEALTH_INTERVAL, cluster_services
from stackctl.cluster.redis_conf import RedisFiles
from stackctl.fallback.state import shardcount_env
from stackctl.images.select import stack_images
from stackctl.model import CERTS_MOUNT, FRONT_NETWORK, REDIS_NETWORK, StackModel
from stackctl.stack_compose_pro import ProFiles
from stackctl.state import atomic_write, atomic_write_json, read_json
from stackctl.tyk.lookup import gateway_endpoint, gateway_listen_port
from stackctl.tyk.render_pump import CSV_DIR, HEALTH_NAME, HEALTH_PORT

COMPOSE_FILE = "compose.json"
GATEWAY_HOME = "/opt/tyk-gateway"
PUMP_HOME = "/opt/tyk-pump"
GATEWAY_PORT = gateway_listen_port()
"""The gateway's port in its container (Tyk's shipped listen_port, from the tables)."""
CONFIG_LABEL = "io.stackctl.config-digest"
TYK_SERVICES = ("upstream", "gateway", "pump")
HEALTH = {"interval": HEALTH_INTERVAL, "timeout": "5s", "retries": 3, "start_period": "60s"}
"""Once a minute, as the cluster's checks (see `cluster.compose.HEALTH_INTERVAL`): the
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


def _environment(state_dir: Path, service: str) -> dict[str, Any]:
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


def gateway_assets(gateway_dir: Path) -> tuple[Path, Path]:
    """`<gateway_dir>/apps`, seeded from stack/tyk/apps (the gateway API writes there: a
    definition already there is kept), and `<gateway_dir>/policies`, a copy of
    stack/tyk/policies: real directories at stable paths for the bind mounts."""
    apps = gateway_dir / "apps"
    apps.mkdir(parents=True, exist_ok=True)
    for name in assets.names(*assets.TYK_APPS, suffix=".json"):
        if not (apps / name).exists():
            atomic_write(apps / name, assets.read_bytes(*assets.TYK_APPS, name))
    policies = gateway_dir / "policies"
    policies.mkdir(parents=True, exist_ok=True)
    return apps, assets.copy_tree(policies, *assets.TYK_POLICIES)


def _bind(source: Path, target: str, read_only: bool = True) -> dict[str, Any]:
    return {"type": "bind", "source": str(source.resolve()), "target": target,
            "read_only": read_only}


def _http_probe(port: int, path: str, needle: str) -> list[str]:
    """A healthcheck with no curl in the image: bash's /dev/tcp and grep."""
    script = (f'exec 3<>/dev/tcp/127.0.0.1/{port} && '
              f'printf "GET {path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" >&3 && '
              f"grep -q '{needle}' <&3")
    return ["CMD", "bash", "-c", script]


def _certs(model: StackModel) -> list[dict[str, Any]]:
    return [_bind(model.certs_dir, CERTS_MOUNT)] if model.tls else []


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
            _bind(files.gateway_conf, f"{GATEWAY_HOME}/tyk.conf"),
            _bind(files.apps, f"{GATEWAY_HOME}/apps", read_only=False),
            _bind(files.policies, f"{GATEWAY_HOME}/policies"),
            *_certs(model),
        ],
        "networks": {
            FRONT_NETWORK: {"ipv4_address": str(model.front_ip("gateway"))},
            REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip("gateway"))},
        },
        "ports": [f"{bind}:{model.settings.gateway.port}:{GATEWAY_PORT}"],
        "depends_on": {**gate, "upstream": {"condition": "service_started"}},
        "healthcheck": {"test": _http_probe(GATEWAY_PORT, gateway_endpoint("hello").path,
                                            '"redis":{"status":"pass"'), **HEALTH},
        "labels": {"io.stackctl.role": "gateway"},
        **_environment(state_dir, "gateway"),
    }
    pump = {
        "image": images["pump"],
        "hostname": "pump",
        "volumes": [
            _bind(files.pump_conf, f"{PUMP_HOME}/pump.conf"),
            _bind(files.analytics, CSV_DIR, read_only=False),
            *_certs(model),
        ],
        "networks": {
            FRONT_NETWORK: {"ipv4_address": str(model.front_ip("pump"))},
            REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip("pump"))},
        },
        "depends_on": gate,
        "healthcheck": {"test": _http_probe(HEALTH_PORT, f"/{HEALTH_NAME}", "ok"), **HEALTH},
        "labels": {"io.stackctl.role": "pump"},
        **_environment(state_dir, "pump"),
    }
    upstream = {
        "image": images["upstream"],
        "hostname": "upstream",
        "networks": {FRONT_NETWORK: {"ipv4_address": str(model.front_ip("upstream"))}},
        "labels": {"io.stackctl.role": "upstream"},
    }
    return {"upstream": upstream, "gateway": gateway, **gateway_replicas(model, gateway),
            "pump": pump}


def gateway_replicas(model: StackModel, gateway: dict[str, Any]) -> dict[str, Any]:
    """Services `gateway-2`.. for `gateway.replicas` > 1: copies of the gateway, each at
    its own pinned addresses (static IPs cannot be shared by `deploy.replicas`), not
    published (only the first gateway is)."""
    out: dict[str, Any] = {}
    for i in range(1, model.settings.gateway.replicas):
        name = f"gateway-{i + 1}"
        out[name] = {**{k: v for k, v in gateway.items() if k != "ports"}, "hostname": name,
                     "networks": {
                         FRONT_NETWORK: {"ipv4_address": str(model.front_ip("gateway", i))},
                         REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip("gateway", i))},
                     }}
    return out


def stack_compose(model: StackModel, redis: RedisFiles, tyk: TykFiles) -> dict[str, Any]:
    """The full compose model (external mode: `external_compose.external_stack`)."""
    if model.external:
        from stackctl.external_compose import external_stack

        return external_stack(model, tyk)
    images = stack_images(model.settings)
    cluster = cluster_services(model, redis, images["redis"])
    networks = {
        **cluster["networks"],
        FRONT_NETWORK: {"ipam": {"driver": "default",
                                 "config": [{"subnet": str(model.settings.network.subnet)}]}},
    }
    services = {**cluster["services"], **tyk_services(model, tyk)}
    for service in services.values():
        _use_env_form(service, tyk)
    # Config files are bind-mounted and replaced atomically, so a running container keeps
    # the old inode: a digest label makes Compose recreate exactly the services whose
    # rendered files changed.
    for node in model.nodes:  # the ACL file changes with the password; auth.conf holds it
        _label_digest(services[node.name], redis.node_confs[node.name], redis.acl)
    for service in services.values():
        if service.get("labels", {}).get("io.stackctl.role") == "gateway":
            _label_digest(service, *_sources(tyk.gateway_env, tyk.gateway_conf))
    _label_digest(services["pump"], *_sources(tyk.pump_env, tyk.pump_conf))
    out: dict[str, Any] = {
        "name": model.settings.project,
        "services": services,
        "networks": networks,
        "volumes": cluster["volumes"],
    }
    if model.settings.profile == "pro" and tyk.pro is not None:
        _add_pro(model, tyk.pro, out)
    return out


def _add_pro(model: StackModel, files: ProFiles, doc: dict[str, Any]) -> None:
    """Profile pro: the dashboard and its database (`stack_compose_pro`)."""
    from stackctl.stack_compose_pro import join_store, pro_compose

    pro = pro_compose(model, files)
    doc["services"].update(pro["services"])
    join_store(model, doc["services"])
    _label_digest(doc["services"]["dashboard"], files.dashboard_conf,
                  *([files.dashboard_env] if files.dashboard_env else []))
    for key in ("networks", "volumes"):
        doc[key] = {**doc[key], **pro[key]}
    doc["secrets"] = pro["secrets"]


def _use_env_form(service: dict[str, Any], tyk: TykFiles) -> None:
    """Env form: the component reads an env file (compose passes it; never argv) on top of
    its config file, which then holds only the secrets (`TykFiles.gateway_conf`)."""
    role = service.get("labels", {}).get("io.stackctl.role")
    env = {"gateway": tyk.gateway_env, "pump": tyk.pump_env}.get(str(role))
    if env is not None:
        service["env_file"] = [str(env.resolve())]


def _sources(env: Path | None, conf: Path) -> tuple[Path, ...]:
    """The rendered files a Tyk service runs from: its config file, and its env file."""
    return (conf,) if env is None else (env, conf)


def _label_digest(service: dict[str, Any], *files: Path) -> None:
    """Label `service` with a digest of its rendered files' contents (absent files: none)."""
    h = hashlib.sha256()
    for path in files:
        h.update(path.read_bytes() if path.exists() else b"")
    service["labels"] = {**service.get("labels", {}), CONFIG_LABEL: h.hexdigest()[:16]}


def write_stack_compose(model: StackModel, redis: RedisFiles, tyk: TykFiles) -> Path:
    """Write the compose file into the state directory; return its path."""
    path = model.settings.state_dir / COMPOSE_FILE
    atomic_write_json(path, stack_compose(model, redis, tyk))
    return path
