"""Gateway: a minimal file-mode tyk.conf (or its TYK_GW_* environment)."""

from __future__ import annotations

from typing import Any

from stackctl.model import StackModel
from stackctl.secrets import Secrets
from stackctl.tyk._storage import storage_entries
from stackctl.tyk.connection import build_connection
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.lookup import option

HOME = "/opt/tyk-gateway"
LISTEN_PORT = 8080
LIVENESS_NS = 2_000_000_000
"""liveness_check.check_duration is a time.Duration: 2 s, so /hello has Redis details fast."""
REDIS_LIMITER_TLS = ("off", "insecure")
"""Redis modes where the rate limiter's own Redis client can connect. Up to at least
v5.8.0 it ignores ca_file/cert_file/key_file (internal/rate/storage.go: only
InsecureSkipVerify) and, when Redis refuses it, lets every request through. With tls or
mtls the gateway keeps its default in-memory limiter (DRL) instead."""


def render_gateway(model: StackModel, secrets: Secrets, release: str) -> ConfigDoc:
    """The gateway's configuration for this stack."""
    conn = build_connection(model, secrets, "gateway")
    general: dict[str, Any] = {
        "omit_config_file": True,  # env form: ignore the image's own tyk.conf
        "listen_port": LISTEN_PORT,
        "secret": secrets.gateway_secret.get_secret_value(),
        "app_path": f"{HOME}/apps",
        "template_path": f"{HOME}/templates",
        "policies.policy_source": "file",
        "policies.policy_path": f"{HOME}/policies",
        "hash_keys": True,
        "enable_analytics": True,
        "analytics_config.enable_multiple_analytics_keys": conn.enable_cluster,
        "liveness_check.check_duration": LIVENESS_NS,
        "health_check.enable_health_checks": True,
    }
    limiter = option("gateway", "enable_fixed_window_rate_limiter")
    if limiter.exists.contains(release) and model.settings.redis.tls in REDIS_LIMITER_TLS:
        general[limiter.key] = True  # counters in Redis Cluster, shared by replicas
    entries = [(option("gateway", k), v) for k, v in general.items()]
    entries.append((option("gateway", "type"), "redis"))
    entries.extend(storage_entries(conn))
    return ConfigDoc("gateway", release, tuple(entries))
