"""The reference Compose stack in `compose/`: the default stack rendered for plain
`docker compose`, post-processed: bind mounts relative to `compose/`, scripts and Tyk
assets from `stack/`, images overridable from `.env`, and no secret in the files (Redis
reads a Compose secret, gateway and pump environment variables). A test fails when
`compose/` drifts from this."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from stackctl import assets
from stackctl.cluster.redis_conf import ACL_FILE, AUTH_CONF, PASSWORD_FILE, render_redis
from stackctl.errors import ConfigError
from stackctl.images.select import stack_images
from stackctl.model import build_model
from stackctl.names import ROLE_LABEL
from stackctl.render.stack import stack_compose
from stackctl.render.tyk import GATEWAY_HOME, GATEWAY_PORT, TykFiles
from stackctl.runtime.health import PROBE_KEY
from stackctl.secrets import Secrets
from stackctl.settings import Settings, load_settings
from stackctl.state import atomic_write
from stackctl.tyk.bundle import render_files
from stackctl.tyk.lookup import by_role, gateway_auth_header, option
from stackctl.tyk.render_pump import CSV_DIR

_CHECKOUT = assets.checkout()
REFERENCE_DIR = _CHECKOUT / "compose" if _CHECKOUT else None
"""The checkout's compose/ (None when stackctl is installed from a wheel)."""
ASSETS_LINK = "../stack"
"""Where the reference stack finds the scripts and Tyk assets: the checkout's stack/."""
ASSETS_MARK = "_stack"
"""Stands for stack/ in the rendered paths (`<render_dir>/_stack/...`)."""
COMPOSE_NAME = "compose.yaml"
SECRET_NAME = "redis_password"
SECRET_PATH = f"/run/secrets/{SECRET_NAME}"
ENTRYPOINT = "./redis/node-start-env.sh"
"""Builds the node's ACL and auth files from the secret, then runs stack/redis/node-start.sh."""
ENTRYPOINT_TARGET = "/opt/stackctl/reference/node-start-env.sh"
ENV_VARS = {"REDIS_PASSWORD": "the Redis ACL user's password",
            "GATEWAY_SECRET": f"the gateway API secret ({gateway_auth_header()})"}
PLACEHOLDER = "set-from-environment"
REFERENCE_OVERRIDES = {
    "project": "stackctl-reference",
    "redis": {"subnet": "172.31.252.0/24"},
    "network": {"subnet": "172.31.253.0/24"},
}
"""The defaults but for the project name and subnets, so the reference stack and a
`stackctl up` stack can run side by side."""
REFERENCE_HEALTH = {"interval": "5s", "retries": 12}
"""The reference stack has no stackctl to decide start-up health, and Engine 20.10 has no
`start_interval`: `up --wait` sees each service healthy only after a first check, one
interval after its start (gate, then gateway and pump, in a row). Checks every 5 s keep
`up --wait` within seconds of ready at a fifth of the old once-a-second idle cost; a
failing service still turns unhealthy after a minute (compose/README.md)."""
TYK_USER = "${TYK_USER:-65532:65532}"
"""The Tyk containers' user: the official images' own (distroless `nonroot`); the files
they read here are world-readable (no secret in them), the directories they write are
volumes the `tyk-volumes` job hands to that user."""
VOLUMES_JOB = "tyk-volumes"
VOLUMES = {"gateway-apps": f"{GATEWAY_HOME}/apps", "pump-analytics": CSV_DIR}
"""Named volumes for what the gateway (API definitions) and the pump (csv) write."""
VOLUMES_SCRIPT = (
    "cp -n /seed/*.json /vol/gateway-apps/ 2>/dev/null; "
    "chown -R \"$$TYK_USER\" /vol/gateway-apps /vol/pump-analytics && "
    "chmod 0770 /vol/gateway-apps /vol/pump-analytics")
HEADER = ("# Rendered by `stackctl render --format reference` from the defaults; do not edit.\n"
          "# Secrets come from compose/.env (see .env.example). JSON is valid YAML.\n")


def _relative(doc: dict[str, Any], render_dir: Path) -> None:
    """Rewrite bind sources: rendered files -> compose/, the assets -> ../stack."""
    root = render_dir.resolve()
    for service in doc["services"].values():
        for mount in service.get("volumes", []):
            if mount.get("type") != "bind":
                continue
            source = Path(mount["source"])
            if source == root / "redis" / "bin":  # the scripts themselves, not a copy
                mount["source"] = f"{ASSETS_LINK}/redis"
            elif source.is_relative_to(root / ASSETS_MARK):
                mount["source"] = f"{ASSETS_LINK}/{source.relative_to(root / ASSETS_MARK)}"
            elif source.is_relative_to(root):
                mount["source"] = f"./{source.relative_to(root)}"


def _secret_mounts(service: dict[str, Any]) -> None:
    """Drop the password-bearing file mounts; read the password from the Compose secret."""
    private = {ACL_FILE, AUTH_CONF, PASSWORD_FILE}
    service["volumes"] = [m for m in service.get("volumes", []) if m["target"] not in private]
    service["secrets"] = [SECRET_NAME]
    env = service.get("environment")
    if isinstance(env, dict) and "STACKCTL_PASSWORD_FILE" in env:
        env["STACKCTL_PASSWORD_FILE"] = SECRET_PATH


def reference_compose(settings: Settings, render_dir: Path) -> dict[str, Any]:
    """The reference compose model for `settings`; bind paths relative to compose/."""
    model = build_model(settings)
    secrets = Secrets(redis_password=SecretStr(PLACEHOLDER), gateway_secret=SecretStr(PLACEHOLDER))
    redis = render_redis(model, secrets)
    rendered = {f.name: f for f in render_files(model, secrets, "json")}
    stack = render_dir / ASSETS_MARK
    tyk = TykFiles(
        gateway_conf=render_dir / "tyk" / "tyk.conf", pump_conf=render_dir / "tyk" / "pump.conf",
        apps=stack.joinpath(*assets.TYK_APPS), policies=stack.joinpath(*assets.TYK_POLICIES),
        analytics=render_dir / "analytics",
        upstream_conf=stack.joinpath(*assets.IMAGE_RECIPES, "upstream", "nginx.conf"),
    )
    for name in ("tyk.conf", "pump.conf"):
        (render_dir / "tyk").mkdir(parents=True, exist_ok=True)
        (render_dir / "tyk" / name).write_text(rendered[name].text)
    doc: dict[str, Any] = json.loads(json.dumps(stack_compose(model, redis, tyk)))  # unshare
    _relative(doc, render_dir)
    images = {s: f"${{{s.upper()}_IMAGE:-{ref}}}" for s, ref in stack_images(settings).items()}
    node_names = {n.name for n in model.nodes}
    for name, service in doc["services"].items():
        if "healthcheck" in service:
            service["healthcheck"].update(REFERENCE_HEALTH)
        role = name if name in images else ("redis" if name in node_names
                                            or name.startswith("cluster-") else None)
        if role:
            service["image"] = images[role]
        if name in node_names:
            _secret_mounts(service)
            service["entrypoint"] = ["sh", ENTRYPOINT_TARGET]
            service["command"] = []
            service["volumes"].append({"type": "bind", "source": ENTRYPOINT,
                                       "target": ENTRYPOINT_TARGET, "read_only": True})
        elif name.startswith("cluster-"):
            _secret_mounts(service)
    doc["services"]["gateway"]["environment"] = {
        option("gateway", "secret").env: "${GATEWAY_SECRET:?set GATEWAY_SECRET in compose/.env}",
        by_role("gateway", "password").env:
            "${REDIS_PASSWORD:?set REDIS_PASSWORD in compose/.env}",
    }
    doc["services"]["pump"]["environment"] = {
        by_role("pump", "password").env: "${REDIS_PASSWORD:?set REDIS_PASSWORD in compose/.env}",
    }
    port = settings.gateway.port
    doc["services"]["gateway"]["ports"] = [
        f"{settings.network.bind}:${{GATEWAY_PORT:-{port}}}:{GATEWAY_PORT}"]
    doc["secrets"] = {SECRET_NAME: {"environment": "REDIS_PASSWORD"}}
    _tyk_volumes(doc, images["redis"])
    return doc


def _tyk_volumes(doc: dict[str, Any], redis_image: str) -> None:
    """The Tyk services run as `TYK_USER` (no shell, no healthcheck) and write into volumes a
    root one-shot job seeds and hands to that user (a checkout bind is not writable to it)."""
    targets = {target: name for name, target in VOLUMES.items()}
    for service in doc["services"].values():
        if service.pop(PROBE_KEY, None) is None:
            continue
        service["user"] = TYK_USER
        service["volumes"] = [
            {"type": "volume", "source": targets[m["target"]], "target": m["target"]}
            if m["target"] in targets else m for m in service.get("volumes", [])]
        service["depends_on"] = {**service.get("depends_on", {}),
                                 VOLUMES_JOB: {"condition": "service_completed_successfully"}}
    doc["services"][VOLUMES_JOB] = {
        "image": redis_image,
        "user": "0:0",
        "entrypoint": ["sh", "-c", VOLUMES_SCRIPT],
        "environment": {"TYK_USER": TYK_USER},
        "network_mode": "none",
        "volumes": [{"type": "bind", "source": f"{ASSETS_LINK}/{'/'.join(assets.TYK_APPS)}",
                     "target": "/seed", "read_only": True},
                    *({"type": "volume", "source": name, "target": f"/vol/{name}"}
                      for name in VOLUMES)],
        "labels": {ROLE_LABEL: VOLUMES_JOB},
    }
    doc["volumes"] = {**doc.get("volumes", {}), **{name: {} for name in VOLUMES}}


def render_reference(out_dir: Path | None = None) -> list[Path]:
    """Render the default stack into `out_dir` (default the checkout's compose/: ConfigError)."""
    if out_dir is None:
        if REFERENCE_DIR is None:
            raise ConfigError("--out", "no checkout to write the reference stack (compose/) "
                              "into: stackctl is installed from a wheel", "pass --out DIR")
        out_dir = REFERENCE_DIR

    with tempfile.TemporaryDirectory() as tmp:
        render_dir = Path(tmp)
        settings = load_settings(Path(os.devnull), {
            "state_dir": str(render_dir), "certs_dir": str(render_dir / "certs"),
            **REFERENCE_OVERRIDES})
        doc = reference_compose(settings, render_dir)
        written: list[Path] = []
        for src in sorted((render_dir / "redis").glob("redis-*.conf")) + sorted(
                (render_dir / "tyk").glob("*.conf")):
            target = out_dir / src.relative_to(render_dir)
            atomic_write(target, src.read_text())
            written.append(target)
    compose = out_dir / COMPOSE_NAME
    atomic_write(compose, HEADER + json.dumps(doc, indent=2, sort_keys=True) + "\n")
    example = "".join(f"# {why}\n{name}=\n" for name, why in ENV_VARS.items()) + (
        "# optional: the host port of the gateway (127.0.0.1 only)\n# GATEWAY_PORT=8080\n"
        "# optional: the Tyk containers' uid:gid (the official images': 65532)\n"
        "# TYK_USER=65532:65532\n"
        "# optional: images (official by default), e.g. the ones `stackctl images build` makes\n"
        + "".join(f"# {s.upper()}_IMAGE={ref}\n"
                  for s, ref in stack_images(load_settings(Path(os.devnull), {
                      "images": {"offline": True}})).items()))
    atomic_write(out_dir / ".env.example", example)
    return [compose, out_dir / ".env.example", *written]
