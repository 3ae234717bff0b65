"""stackctl's own names (services, networks, labels, Docker names derived from the project),
read by renderers, engines and actions alike; Tyk's names live in tyk/tables.py. Layer 1:
imports nothing from stackctl."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# --- networks: compose-file keys (Docker's name is `<project>_<key>`, `network_name`)
FRONT_NETWORK = "front"
REDIS_NETWORK = "redis"
"""Internal: the Redis nodes and their clients' Redis side."""
STORE_NETWORK = "store"
"""Internal, profile pro: PostgreSQL, the dashboard and the pump."""
EXTERNAL_NETWORK = "redis-external"
"""The compose-file key of the user's network (its real name is `redis.external.network`)."""

# --- services (and hostnames)
GATEWAY_SERVICE = "gateway"
PUMP_SERVICE = "pump"
UPSTREAM_SERVICE = "upstream"
DASHBOARD_SERVICE = "dashboard"
POSTGRES_SERVICE = "postgres"
INIT_SERVICE = "cluster-init"
GATE_SERVICE = "cluster-gate"
TYK_SERVICES = (UPSTREAM_SERVICE, GATEWAY_SERVICE, PUMP_SERVICE)
"""The Tyk side of every stack, in start order (profile pro adds the dashboard)."""

# --- the API `up` bootstraps on every stack (smoke, sweep and drill load it)
SMOKE_API_ID = "stackctl-smoke"
SMOKE_LISTEN_PATH = "/smoke/"

# --- labels stackctl puts on containers, services and images
LABEL_PREFIX = "io.stackctl."
ROLE_LABEL = "io.stackctl.role"
"""What a container is to stackctl: one of the ROLE_* values below."""
OWNER_LABEL = "io.stackctl.project"
"""On the containers stackctl starts itself next to a stack (the local access proxy)."""
CONFIG_LABEL = "io.stackctl.config-digest"
"""A digest of a service's rendered files: Compose recreates exactly the changed ones."""
NODE_LABEL = "stackctl.redis"
"""The swarm node label `swarm.placement = labels` reads: values 0 .. M-1."""
INPUTS_LABEL = "io.stackctl.inputs"
"""Image label holding the sha256 digest of a local image's build inputs."""
RELEASE_LABEL = "io.stackctl.tyk-release"
"""Image label of a local Tyk build: the release its binary reports (e.g. v5.8.1)."""
GO_REDIS_LABEL = "io.stackctl.go-redis"
"""Image label of a local Tyk build: the go-redis version in its build list."""
STORAGE_LABEL = "io.stackctl.tyk-storage"
"""Image label of a local gateway build: the TykTechnologies/storage version."""
STAGE_LABEL = "io.stackctl.build-stage"
"""Label of a multi-stage recipe's builder stage (`LABEL io.stackctl.build-stage=rootfs`):
the classic builder leaves that stage as a dangling image, which `images build` prunes."""
GO_MOD_LABEL = "io.stackctl.go-mod-edits"
"""Image label of a local Tyk build whose module requirements were edited: the lines that
moved, `path old->new` joined by `; ` (old or new is `-` for a line added or removed)."""

# --- values of ROLE_LABEL
ROLE_GATEWAY = "gateway"
ROLE_PUMP = "pump"
ROLE_UPSTREAM = "upstream"
ROLE_DASHBOARD = "dashboard"
ROLE_POSTGRES = "postgres"
ROLE_REDIS_NODE = "redis-node"
ROLE_CLUSTER_INIT = "cluster-init"
ROLE_CLUSTER_GATE = "cluster-gate"
ROLE_LOAD = "load"
ROLE_EXTERNAL_PROBE = "external-probe"
ROLE_DIAGNOSE_PROBE = "diagnose-probe"
ROLE_IMAGE_FILES = "image-files"


def role_labels(role: str) -> dict[str, str]:
    """The labels of a container or service that plays `role`."""
    return {ROLE_LABEL: role}


def role_of(service: Mapping[str, Any]) -> str | None:
    """The role of a rendered compose/stack-file service (None when it has none)."""
    labels = service.get("labels") or {}
    role = labels.get(ROLE_LABEL) if isinstance(labels, Mapping) else None
    return None if role is None else str(role)


# --- names derived from the project
def redis_node(index: int) -> str:
    """A Redis node's service name and hostname, 1-based: `redis-1`."""
    return f"redis-{index}"


def gateway_replica(index: int) -> str:
    """The service of gateway replica `index` (0-based): `gateway`, `gateway-2`, ..."""
    return GATEWAY_SERVICE if index == 0 else f"{GATEWAY_SERVICE}-{index + 1}"


def network_name(project: str, key: str) -> str:
    """Docker's name of a compose project's network: `<project>_<key>`."""
    return f"{project}_{key}"


def container_name(project: str, service: str, index: int = 1) -> str:
    """Compose v2's name of a service's container: `<project>-<service>-<index>`."""
    return f"{project}-{service}-{index}"


def swarm_service(project: str, service: str) -> str:
    """The swarm's name of a stack service: `<project>_<service>`."""
    return f"{project}_{service}"
