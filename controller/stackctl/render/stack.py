"""The whole stack's compose file: the Redis Cluster plus Tyk Gateway, Pump and upstream.
Only the gateway is published (on `network.bind`); Redis stays on the internal network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackctl.cluster.redis_conf import RedisFiles
from stackctl.images.select import stack_images
from stackctl.model import StackModel
from stackctl.names import FRONT_NETWORK, ROLE_GATEWAY, role_of
from stackctl.render.cluster import cluster_services
from stackctl.render.external import external_stack
from stackctl.render.pro import ProFiles, join_store, pro_compose
from stackctl.render.tyk import (
    TykFiles,
    config_sources,
    label_digest,
    tyk_services,
    use_env_form,
    user_of,
)
from stackctl.state import atomic_write_json

COMPOSE_FILE = "compose.json"


def stack_compose(model: StackModel, redis: RedisFiles, tyk: TykFiles) -> dict[str, Any]:
    """The full compose model (external mode: `render.external.external_stack`)."""
    if model.external:
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
        use_env_form(service, tyk)
    # Config files are bind-mounted and replaced atomically, so a running container keeps
    # the old inode: a digest label makes Compose recreate exactly the services whose
    # rendered files changed.
    for node in model.nodes:  # the ACL file changes with the password; auth.conf holds it
        label_digest(services[node.name], redis.node_confs[node.name], redis.acl)
    for service in services.values():
        if role_of(service) == ROLE_GATEWAY:
            label_digest(service, *config_sources(tyk.gateway_env, tyk.gateway_conf))
    label_digest(services["pump"], *config_sources(tyk.pump_env, tyk.pump_conf))
    out: dict[str, Any] = {
        "name": model.settings.project,
        "services": services,
        "networks": networks,
        "volumes": cluster["volumes"],
    }
    if model.settings.profile == "pro" and tyk.pro is not None:
        _add_pro(model, tyk, tyk.pro, out)
    return out


def _add_pro(model: StackModel, tyk: TykFiles, files: ProFiles, doc: dict[str, Any]) -> None:
    """Profile pro: the dashboard and its database (`render.pro`)."""
    pro = pro_compose(model, files)
    pro["services"]["dashboard"].update(user_of(tyk, "dashboard"))
    doc["services"].update(pro["services"])
    join_store(model, doc["services"])
    label_digest(doc["services"]["dashboard"], files.dashboard_conf,
                  *([files.dashboard_env] if files.dashboard_env else []))
    for key in ("networks", "volumes"):
        doc[key] = {**doc[key], **pro[key]}
    doc["secrets"] = pro["secrets"]


def write_stack_compose(model: StackModel, redis: RedisFiles, tyk: TykFiles) -> Path:
    """Write the compose file into the state directory; return its path."""
    path = model.settings.state_dir / COMPOSE_FILE
    atomic_write_json(path, stack_compose(model, redis, tyk))
    return path
