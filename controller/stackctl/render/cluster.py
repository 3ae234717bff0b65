"""The Redis Cluster's Compose services: N x (1 + R) nodes, `cluster-init`, `cluster-gate`.
Nodes sit on the internal `redis` network at pinned addresses and keep nodes.conf on a
named volume, so a later `up` rejoins the same cluster. `cluster-init` creates the
cluster once; `cluster-gate` turns healthy once cluster-ready.sh first passes (a start-up
barrier; `stackctl status` reads the live cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackctl.cluster.pki import STACKCTL_CLIENT
from stackctl.cluster.redis_conf import (
    ACL_FILE,
    AUTH_CONF,
    DATA_DIR,
    NODE_CONF,
    PASSWORD_FILE,
    RUN_DIR,
    SCRIPTS_MOUNT,
    RedisFiles,
    client_env,
    render_redis,
)
from stackctl.model import CONFIG_ENDPOINT, RedisNode, StackModel, tls_paths
from stackctl.names import (
    GATE_SERVICE,
    INIT_SERVICE,
    REDIS_NETWORK,
    ROLE_CLUSTER_GATE,
    ROLE_CLUSTER_INIT,
    ROLE_REDIS_NODE,
    role_labels,
)
from stackctl.secrets import Secrets
from stackctl.state import atomic_write_json

GATE_IP_ROLE = "probe"
"""The gate doubles as stackctl's probe container: it takes the model's probe address."""
HEALTH_INTERVAL = "60s"
"""Each check is a `docker exec` (dockerd, containerd, a shim and runc at work): once a
minute keeps an idle stack near zero. Engine 20.10 rejects `start_interval`, so Docker
says `starting` for the first minute; stackctl decides start-up health itself
(`cluster.wait`, `runtime.health`) and starts Tyk with `--no-deps`, which does not wait for
the gate's `service_healthy`. The reference stack (`render/reference.py`) probes more often."""
NODE_HEALTH = {"interval": HEALTH_INTERVAL, "timeout": "5s", "retries": 3,
               "start_period": "30s"}
GATE_HEALTH = {"interval": HEALTH_INTERVAL, "timeout": "15s", "retries": 3,
               "start_period": "120s"}


def _bind(source: Path, target: str) -> dict[str, Any]:
    return {"type": "bind", "source": str(source.resolve()), "target": target,
            "read_only": True}


def _tls_mounts(model: StackModel, identity: str) -> list[dict[str, Any]]:
    if not model.tls:
        return []
    paths = tls_paths(identity)
    certs = model.certs_dir
    return [_bind(certs / "ca.crt", paths.ca), _bind(certs / f"{identity}.crt", paths.cert),
            _bind(certs / f"{identity}.key", paths.key)]


def _client_mounts(model: StackModel, files: RedisFiles, identity: str) -> list[dict[str, Any]]:
    return [_bind(files.password, PASSWORD_FILE), _bind(files.scripts, SCRIPTS_MOUNT),
            *_tls_mounts(model, identity)]


def _node_network(model: StackModel, node: RedisNode) -> dict[str, Any]:
    """A node's pinned address; with hostname endpoints also the configuration-endpoint alias."""
    net: dict[str, Any] = {"ipv4_address": str(node.ip)}
    if model.hostname_endpoints:
        net["aliases"] = [CONFIG_ENDPOINT]
    return net


def script_check(script: str) -> list[str]:
    return ["CMD", "sh", f"{SCRIPTS_MOUNT}/{script}"]


def private_files(model: StackModel, node: str) -> list[str]:
    """Container paths node-start.sh copies for the redis user: ACL, auth.conf, TLS key."""
    return [ACL_FILE, AUTH_CONF, *([tls_paths(node).key] if model.tls else [])]


def cluster_services(model: StackModel, files: RedisFiles, image: str) -> dict[str, Any]:
    """The cluster's part of the compose file: `services`, `networks`, `volumes`."""
    redis = model.settings.redis
    services: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    for node in model.nodes:
        volume = f"{node.name}-data"
        volumes[volume] = {}
        services[node.name] = {
            "image": image,
            "hostname": node.name,
            "user": "0:0",
            "entrypoint": ["sh", f"{SCRIPTS_MOUNT}/node-start.sh"],
            "command": private_files(model, node.name),
            "tmpfs": [RUN_DIR],  # the private copies never touch a disk layer
            "environment": {**client_env(model, node.name), "STACKCTL_PORT": str(node.port)},
            "networks": {REDIS_NETWORK: _node_network(model, node)},
            "volumes": [
                _bind(files.node_confs[node.name], NODE_CONF),
                _bind(files.acl, ACL_FILE),
                _bind(files.auth, AUTH_CONF),
                *_client_mounts(model, files, node.name),
                {"type": "volume", "source": volume, "target": "/data"},
            ],
            "healthcheck": {"test": script_check("node-health.sh"), **NODE_HEALTH},
            "labels": role_labels(ROLE_REDIS_NODE),
        }
    client = {
        "image": image,
        "user": "0:0",
        "environment": client_env(model, STACKCTL_CLIENT),
        "volumes": _client_mounts(model, files, STACKCTL_CLIENT),
        # Redis images declare VOLUME /data: without a mount there Docker gives each
        # init and gate container an anonymous volume that `down` leaves behind.
        "tmpfs": [DATA_DIR],
    }
    services[INIT_SERVICE] = {
        **client,
        "entrypoint": ["sh", f"{SCRIPTS_MOUNT}/cluster-init.sh"],
        "networks": {REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip(INIT_SERVICE))}},
        # cluster-init.sh waits for PONG itself: starting it with the nodes saves the
        # healthcheck round trips.
        "depends_on": {n.name: {"condition": "service_started"} for n in model.nodes},
        "restart": "no",
        "labels": role_labels(ROLE_CLUSTER_INIT),
    }
    services[GATE_SERVICE] = {
        **client,
        "entrypoint": ["sleep", "infinity"],
        "stop_signal": "SIGKILL",
        "networks": {REDIS_NETWORK: {"ipv4_address": str(model.redis_side_ip(GATE_IP_ROLE))}},
        "depends_on": {INIT_SERVICE: {"condition": "service_completed_successfully"}},
        "healthcheck": {"test": script_check("gate-health.sh"), **GATE_HEALTH},
        "labels": role_labels(ROLE_CLUSTER_GATE),
    }
    networks = {REDIS_NETWORK: {
        "internal": True,
        "ipam": {"driver": "default", "config": [{"subnet": str(redis.subnet)}]},
    }}
    return {"services": services, "networks": networks, "volumes": volumes}


def write_cluster_compose(model: StackModel, files: RedisFiles, image: str,
                          path: Path | None = None) -> Path:
    """Write a cluster-only compose file (default `<state_dir>/compose.cluster.json`); its path."""
    target = path if path is not None else model.settings.state_dir / "compose.cluster.json"
    atomic_write_json(target, {"name": model.settings.project,
                               **cluster_services(model, files, image)})
    return target


def write_cluster_project(model: StackModel, secrets: Secrets, image: str,
                          path: Path | None = None) -> Path:
    """Render the Redis files and the cluster-only compose file (tests; TLS needs `ensure_pki`)."""
    return write_cluster_compose(model, render_redis(model, secrets), image, path)
