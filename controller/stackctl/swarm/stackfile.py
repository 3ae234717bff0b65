"""The stack file `docker stack deploy` takes, rendered from the same model as the compose
file. What Swarm changes, and how this file answers it (tyk-facts.md section 14):
- No `ipv4_address`: Redis endpoints are hostnames (forced by the settings). Every Redis
  node is its own service and every service has `endpoint_mode: dnsrr`: a `vip` needs
  the kernel's IPVS, which this build machine lacks (a vip service is unreachable,
  measured).
- No `depends_on`: stackctl waits itself (`swarm.wait`). Cluster creation is a
  `replicated-job`, which Engine 20.10's `stack deploy` rejects, so `init_job` is created
  next to the stack with its namespace label.
- `swarm.placement = labels` pins node `redis-i` of shard s and rank r (0 = primary) to
  swarm nodes labelled `stackctl.redis = (s + r) mod M`: with M > replicas a primary and
  its replicas never share a machine.
- Secrets and configs are immutable, named `<project>-<key>-<sha256[:12]>`: a changed
  file gets a new name, so `stack deploy` updates only the services using it. Whatever
  holds a password, key or secret (tyk.conf and pump.conf too) is a Swarm secret; the
  rest (redis.conf, scripts, API definitions) are configs.
- Nothing is published unless `swarm.publish_gateway`: then `gateway.port` in host mode
  (dnsrr cannot use the routing mesh) on every interface of each gateway task's node."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
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
)
from stackctl.errors import ConfigError
from stackctl.images.select import stack_images
from stackctl.model import CONFIG_ENDPOINT, RedisNode, StackModel, tls_paths
from stackctl.names import (
    FRONT_NETWORK,
    INIT_SERVICE,
    NODE_LABEL,
    REDIS_NETWORK,
    ROLE_GATEWAY,
    ROLE_LABEL,
    ROLE_PUMP,
    ROLE_REDIS_NODE,
    ROLE_UPSTREAM,
    role_labels,
    role_of,
)
from stackctl.render.cluster import private_files, script_check
from stackctl.render.tyk import GATEWAY_HOME, GATEWAY_PORT, PUMP_HOME, UPSTREAM_CONF, service_env
from stackctl.runtime.image_user import read_run_as
from stackctl.settings import Settings
from stackctl.state import atomic_write_json
from stackctl.tyk.render_pump import CSV_DIR

STACK_FILE = "stack.json"
JOB_FILE = "cluster-init.json"
SCHEMA_VERSION = "3.9"
"""The newest Compose file schema Engine 20.10's `docker stack deploy` knows."""
INIT_SCRIPT = "swarm-cluster-init.sh"
DIGEST_LEN = 12
HEALTH = {"interval": "10s", "timeout": "5s", "retries": 3, "start_period": "30s"}
"""Swarm marks a task running only once its healthcheck passes: every 10 s keeps start-up
short (8 services: under one check a second for the whole stack)."""
RESTART = {"condition": "any", "delay": "2s"}
SECRET_MODE = 0o400
PUBLIC_MODE = 0o444
SCRIPT_MODE = 0o555
CSV_VOLUME = "pump-csv"
"""The pump's csv sink: a tmpfs volume on the pump's node, owned by the pump image's user;
`smoke.swarm_run` reads it with a helper container there (the pump has no shell)."""
LONG_RUNNING_ROLES = ("redis-node", "upstream", "gateway", "pump")


def check_swarm_settings(settings: Settings) -> None:
    """ConfigError (exit 2) for a setting this engine cannot honour."""
    if settings.config_form != "files":
        raise ConfigError("config_form = env", "engine = swarm gives Tyk its configuration "
                          "as files (Swarm secrets), never as environment",
                          "set config_form = files")
    if settings.redis.mode != "managed":
        raise ConfigError(f"redis.mode = {settings.redis.mode}",
                          "is not available on engine = swarm in this version",
                          "use redis.mode = managed, or engine = compose")
    if settings.profile != "oss":
        raise ConfigError(f"profile = {settings.profile}",
                          "is not available on engine = swarm in this version",
                          "use profile = oss, or engine = compose")


@dataclass(frozen=True)
class SwarmFiles:
    """Host paths of everything the stack file turns into Swarm secrets and configs."""

    redis: RedisFiles
    gateway_conf: Path
    pump_conf: Path
    apps: Mapping[str, Path]  # API definition file name -> host path
    policies: Mapping[str, Path] = field(default_factory=dict)
    scripts: tuple[str, ...] = ()  # file names inside redis.scripts
    upstream_conf: Path | None = None  # stackctl's nginx.conf (`render.tyk.upstream_conf`)


@dataclass
class _Objects:
    """The top-level `secrets:` and `configs:` the services refer to."""

    project: str
    secrets: dict[str, Any] = field(default_factory=dict)
    configs: dict[str, Any] = field(default_factory=dict)

    def _add(self, table: dict[str, Any], key: str, path: Path) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:DIGEST_LEN]
        table[key] = {"file": str(path.resolve()), "name": f"{self.project}-{key}-{digest}"}
        return key

    def secret(self, key: str, path: Path, target: str, mode: int = SECRET_MODE,
               owner: tuple[int, int] = (0, 0)) -> dict[str, Any]:
        """A service's reference to a content-named secret file, owned by `owner` (uid, gid)."""
        return {"source": self._add(self.secrets, key, path), "target": target,
                "uid": str(owner[0]), "gid": str(owner[1]), "mode": mode}

    def config(self, key: str, path: Path, target: str, mode: int = PUBLIC_MODE) -> dict[str, Any]:
        """A service's reference to a config file (created once, by content)."""
        return {"source": self._add(self.configs, key, path), "target": target,
                "uid": "0", "gid": "0", "mode": mode}


def layout(model: StackModel) -> list[tuple[RedisNode, int, int]]:
    """(node, shard, rank) per node: redis-1..S the primaries, then rank 1 of every shard, ..."""
    shards = model.settings.redis.shards
    return [(n, (n.index - 1) % shards, (n.index - 1) // shards) for n in model.nodes]


def replica_plan(model: StackModel) -> tuple[list[str], list[str]]:
    """The primaries' addresses and `replica>primary` pairs for cluster-init."""
    shards = model.settings.redis.shards
    nodes = list(model.nodes)
    primaries = [n.addr for n in nodes[:shards]]
    pairs = [f"{n.addr}>{nodes[shard].addr}" for n, shard, rank in layout(model) if rank > 0]
    return primaries, pairs


def label_value(shard: int, rank: int, groups: int) -> int:
    """The `stackctl.redis` label value a node of `shard` and `rank` is placed on."""
    return (shard + rank) % groups


def _tls_secrets(objects: _Objects, model: StackModel, identity: str,
                 owner: tuple[int, int] = (0, 0)) -> list[dict[str, Any]]:
    if not model.tls:
        return []
    certs, paths = model.certs_dir, tls_paths(identity)
    return [objects.secret("ca-crt", certs / "ca.crt", paths.ca, PUBLIC_MODE),
            objects.secret(f"{identity}-crt", certs / f"{identity}.crt", paths.cert,
                           PUBLIC_MODE),
            objects.secret(f"{identity}-key", certs / f"{identity}.key", paths.key,
                           owner=owner)]


def _scripts(objects: _Objects, files: SwarmFiles) -> list[dict[str, Any]]:
    return [objects.config(f"script-{name.removesuffix('.sh')}", files.redis.scripts / name,
                           f"{SCRIPTS_MOUNT}/{name}", SCRIPT_MODE) for name in files.scripts]


def swarm_env(model: StackModel, identity: str) -> dict[str, str]:
    """The scripts' environment, with the nodes by name (no pinned addresses here)."""
    return {**client_env(model, identity),
            "STACKCTL_NODES": " ".join(n.addr for n in model.nodes)}


def _deploy(extra: Mapping[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return {"mode": "replicated", "replicas": 1, "endpoint_mode": "dnsrr",
            "restart_policy": RESTART, **(extra or {}), **kw}


def redis_services(model: StackModel, files: SwarmFiles, objects: _Objects, image: str,
                   groups: int | None) -> dict[str, Any]:
    """One service per node (its own volume, dnsrr name, placement) and the init job."""
    services: dict[str, Any] = {}
    for node, shard, rank in layout(model):
        deploy = _deploy(labels=role_labels(ROLE_REDIS_NODE))
        if groups:
            deploy["placement"] = {"constraints": [
                f"node.labels.{NODE_LABEL} == {label_value(shard, rank, groups)}"]}
        services[node.name] = {
            "image": image,
            "hostname": node.name,
            "user": "0:0",
            "entrypoint": ["sh", f"{SCRIPTS_MOUNT}/node-start.sh"],
            "command": private_files(model, node.name),
            "environment": {**swarm_env(model, node.name), "STACKCTL_PORT": str(node.port)},
            # the configuration endpoint: one name every node answers to
            "networks": {REDIS_NETWORK: {"aliases": [CONFIG_ENDPOINT]}},
            "volumes": [{"type": "volume", "source": f"{node.name}-data", "target": DATA_DIR},
                        {"type": "tmpfs", "target": RUN_DIR}],
            "configs": [objects.config(f"{node.name}-conf", files.redis.node_confs[node.name],
                                       NODE_CONF), *_scripts(objects, files)],
            "secrets": [objects.secret("users-acl", files.redis.acl, ACL_FILE),
                        objects.secret("auth-conf", files.redis.auth, AUTH_CONF),
                        objects.secret("redis-password", files.redis.password, PASSWORD_FILE),
                        *_tls_secrets(objects, model, node.name)],
            "healthcheck": {"test": script_check("node-health.sh"), **HEALTH},
            "labels": role_labels(ROLE_REDIS_NODE),
            "deploy": deploy,
        }
    return services


def init_job(model: StackModel, files: SwarmFiles, objects: _Objects, image: str
             ) -> dict[str, Any]:
    """The cluster-init job for `docker service create --mode replicated-job` (Engine 20.10's
    `stack deploy` refuses that mode, measured); secrets and configs by their Swarm names."""
    primaries, pairs = replica_plan(model)
    secrets = [objects.secret("redis-password", files.redis.password, PASSWORD_FILE),
               *_tls_secrets(objects, model, STACKCTL_CLIENT)]
    configs = _scripts(objects, files)
    return {
        "name": INIT_SERVICE,
        "image": image,
        "user": "0:0",
        "entrypoint": "sh",
        "args": [f"{SCRIPTS_MOUNT}/{INIT_SCRIPT}"],
        "env": {**swarm_env(model, STACKCTL_CLIENT),
                "STACKCTL_PRIMARIES": " ".join(primaries),
                "STACKCTL_REPLICA_OF": " ".join(pairs),
                "STACKCTL_INIT_WAIT": "180"},
        "network": REDIS_NETWORK,
        "secrets": [{**ref, "source": objects.secrets[ref["source"]]["name"]}
                    for ref in secrets],
        "configs": [{**ref, "source": objects.configs[ref["source"]]["name"]}
                    for ref in configs],
        # Redis images declare VOLUME /data: a tmpfs there leaves no anonymous volume.
        "tmpfs": [DATA_DIR],
        "labels": {ROLE_LABEL: INIT_SERVICE},
        "max_attempts": 3,
    }


def _environment(state_dir: Path, service: str) -> dict[str, Any]:
    """The service's extra environment as on Compose: the fallback's rung, then the sweep's
    overrides file (nothing secret), so a sweep point changes gateway and pump only."""
    env = service_env(state_dir, service)
    return {"environment": env} if env else {}


def tyk_services(model: StackModel, files: SwarmFiles, objects: _Objects) -> dict[str, Any]:
    """Upstream, the gateway (one service, `gateway.replicas` tasks) and the pump, running as
    their image's user (owner of their 0400 secrets); no shell, so probed over HTTP."""
    settings = model.settings
    images = stack_images(settings)
    state_dir = settings.state_dir
    users = read_run_as(state_dir, images)
    gw_owner, pump_owner = users.get("gateway", (0, 0)), users.get("pump", (0, 0))
    apps = [objects.config(f"app-{Path(name).stem}", path, f"{GATEWAY_HOME}/apps/{name}")
            for name, path in sorted(files.apps.items())]
    policies = [objects.config(f"policy-{Path(name).stem}", path,
                               f"{GATEWAY_HOME}/policies/{name}")
                for name, path in sorted(files.policies.items())]
    gateway: dict[str, Any] = {
        "image": images["gateway"],
        "hostname": "gateway-{{.Task.Slot}}",
        "networks": [FRONT_NETWORK, REDIS_NETWORK],
        "secrets": [objects.secret("tyk-conf", files.gateway_conf, f"{GATEWAY_HOME}/tyk.conf",
                                   owner=gw_owner),
                    *_tls_secrets(objects, model, "gateway", gw_owner)],
        "configs": [*apps, *policies],
        "labels": role_labels(ROLE_GATEWAY),
        "deploy": _deploy(replicas=settings.gateway.replicas, labels=role_labels(ROLE_GATEWAY),
                          update_config={"parallelism": 1, "order": "stop-first"},
                          placement={"preferences": [{"spread": "node.id"}]}),
        **_environment(state_dir, "gateway"),
    }
    if settings.swarm.publish_gateway:
        gateway["ports"] = [{"target": GATEWAY_PORT, "published": settings.gateway.port,
                             "protocol": "tcp", "mode": "host"}]
    pump = {
        "image": images["pump"],
        "hostname": "pump",
        "networks": [FRONT_NETWORK, REDIS_NETWORK],
        "secrets": [objects.secret("pump-conf", files.pump_conf, f"{PUMP_HOME}/pump.conf",
                                   owner=pump_owner),
                    *_tls_secrets(objects, model, "pump", pump_owner)],
        "volumes": [{"type": "volume", "source": CSV_VOLUME, "target": CSV_DIR}],
        "labels": role_labels(ROLE_PUMP),
        "deploy": _deploy(labels=role_labels(ROLE_PUMP)),
        **_environment(state_dir, "pump"),
    }
    upstream = {
        "image": images["upstream"],
        "hostname": "upstream",
        "networks": [FRONT_NETWORK],
        "configs": [objects.config("upstream-conf", files.upstream_conf, UPSTREAM_CONF)]
        if files.upstream_conf is not None else [],
        "labels": role_labels(ROLE_UPSTREAM),
        "deploy": _deploy(labels=role_labels(ROLE_UPSTREAM)),
    }
    return {"upstream": upstream, "gateway": gateway, "pump": pump}


def csv_volume(owner: tuple[int, int]) -> dict[str, Any]:
    """The pump's csv sink: a tmpfs (mounted once per node, shared by its users) owned by the
    pump's user and readable by others."""
    return {"driver": "local", "driver_opts": {
        "type": "tmpfs", "device": "tmpfs",
        "o": f"uid={owner[0]},gid={owner[1]},mode=0755"}}


def _network(subnet: str, internal: bool, encrypted: bool) -> dict[str, Any]:
    net: dict[str, Any] = {"driver": "overlay", "attachable": True,
                           "ipam": {"config": [{"subnet": subnet}]}}
    if internal:
        net["internal"] = True
    if encrypted:
        net["driver_opts"] = {"encrypted": ""}
    return net


def render_all(model: StackModel, files: SwarmFiles, groups: int | None = None
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stack file and the cluster-init job; `groups`: the `stackctl.redis` label values the
    nodes carry (`swarm.placement = labels`), None for no constraints."""
    settings = model.settings
    objects = _Objects(settings.project)
    image = stack_images(settings)["redis"]
    services = {**redis_services(model, files, objects, image, groups),
                **tyk_services(model, files, objects)}
    job = init_job(model, files, objects, image)
    swarm = settings.swarm
    networks = {
        # Attachable: stackctl's probes and its local proxy join them as plain containers.
        REDIS_NETWORK: _network(str(swarm.redis_subnet), True, swarm.encrypted),
        FRONT_NETWORK: _network(str(swarm.front_subnet), False, swarm.encrypted),
    }
    volumes: dict[str, Any] = {f"{n.name}-data": {} for n in model.nodes}
    volumes[CSV_VOLUME] = csv_volume(read_run_as(settings.state_dir, stack_images(settings))
                                     .get("pump", (0, 0)))
    return ({"version": SCHEMA_VERSION, "services": services, "networks": networks,
             "volumes": volumes, "secrets": objects.secrets, "configs": objects.configs}, job)


def stack_file(model: StackModel, files: SwarmFiles, groups: int | None = None
               ) -> dict[str, Any]:
    """The stack file alone (see `render_all`)."""
    return render_all(model, files, groups)[0]


def write_stack_file(model: StackModel, files: SwarmFiles, groups: int | None = None) -> Path:
    """Write the stack file and the init job's spec (`JOB_FILE`) atomically; the file's path."""
    stack, job = render_all(model, files, groups)
    path = model.settings.state_dir / STACK_FILE
    atomic_write_json(model.settings.state_dir / JOB_FILE, job)
    atomic_write_json(path, stack)
    return path


def wanted_tasks(stack: Mapping[str, Any], roles: tuple[str, ...] = LONG_RUNNING_ROLES
                 ) -> dict[str, int]:
    """service -> replicas, for the stack file's long-running services of `roles`."""
    return {name: int(service.get("deploy", {}).get("replicas", 1))
            for name, service in stack["services"].items() if role_of(service) in roles}
