"""Gateway: Tyk's shipped standalone configuration plus the deviations in the tables."""

from __future__ import annotations

from typing import Any

from stackctl.errors import ConfigError
from stackctl.model import StackModel
from stackctl.secrets import Secrets
from stackctl.tyk.connection import build_connection, storage_entries
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.lookup import gateway_listen_port, option, rate_limiter
from stackctl.tyk.pro import dashboard_url_in_stack
from stackctl.tyk.schema import RateLimiter, Shipped
from stackctl.tyk.tables import LIMITER_CLIENT_TLS_FILES, RATE_LIMITERS, SHIPPED_GATEWAY

HOME = "/opt/tyk-gateway"
LISTEN_PORT = gateway_listen_port()
LIVENESS_NS = 2_000_000_000
"""liveness_check.check_duration is a time.Duration: 2 s, so /hello has Redis details fast."""
STORAGE = "storage."
SESSION_CACHE_OFF = "local_session_cache.disable_cached_session_state"
LIMITER_FLAGS = tuple(dict.fromkeys(k for r in RATE_LIMITERS for k, _ in r.flags))


def shipped_values(shipped: Shipped) -> dict[str, Any]:
    """Shipped non-Redis keys without Go's zero values (leaving those out changes nothing)."""
    return {k: v for k, v in shipped.values
            if not k.startswith(STORAGE) and (isinstance(v, bool) or v not in ("", [], 0))}


def check_limiter(limiter: RateLimiter, tls: str, release: str) -> None:
    """ConfigError when the limiter's Redis counters are out of reach: before TT-14564 (5.8.6,
    5.10.0; never 5.9) its client ignores the CA and client certificate."""
    if limiter.in_redis and tls in ("tls", "mtls") and not LIMITER_CLIENT_TLS_FILES.contains(
            release):
        raise ConfigError(
            "gateway.rate_limiter",
            f"{limiter.name} keeps its counters in Redis, and the rate limiter's Redis client "
            f"in Tyk {release} ignores ca_file/cert_file/key_file: with redis.tls = {tls} it "
            "cannot connect and " + ("refuses every request of a limited key (24 of 24 "
                                     "measured here)" if limiter.kind == "sliding-log"
                                     else "lets every request through"),
            "use gateway.rate_limiter = default, redis.tls = off or insecure, or a gateway "
            f"image of {LIMITER_CLIENT_TLS_FILES.describe()} (images.gateway)")


def _limiter_values(limiter: RateLimiter, release: str) -> dict[str, Any]:
    """Every limiter flag this release reads, true only for the chosen limiter's."""
    chosen = dict(limiter.flags)
    return {k: chosen.get(k, False) for k in LIMITER_FLAGS
            if option("gateway", k).exists.contains(release)}


def dashboard_mode(secrets: Secrets) -> dict[str, Any]:
    """Profile pro: APIs and policies from the Dashboard, registered with the node secret."""
    url = dashboard_url_in_stack()
    return {
        "use_db_app_configs": True,
        "db_app_conf_options.connection_string": url,
        "policies.policy_source": "service",
        "policies.policy_connection_string": url,
        "node_secret": secrets.required("node_secret").get_secret_value(),
    }


def render_gateway(model: StackModel, secrets: Secrets, release: str) -> ConfigDoc:
    """The gateway's configuration for this stack."""
    gw = model.settings.gateway
    limiter = rate_limiter(gw.rate_limiter)
    check_limiter(limiter, model.tls_mode, release)
    conn = build_connection(model, secrets, "gateway")
    values: dict[str, Any] = shipped_values(SHIPPED_GATEWAY)
    values.pop("policies.policy_record_name")
    values.update({
        "listen_port": LISTEN_PORT,
        "secret": secrets.gateway_secret.get_secret_value(),
        "app_path": f"{HOME}/apps",
        "policies.policy_path": f"{HOME}/policies",
        "enable_analytics": True,
        "analytics_config.enable_multiple_analytics_keys": conn.enable_cluster,
        "liveness_check.check_duration": LIVENESS_NS,
        "max_idle_connections_per_host": gw.max_idle_connections_per_host,
        **_limiter_values(limiter, release),
    })
    if not gw.local_session_cache:  # on is Go's zero value (false): left out as shipped
        values[SESSION_CACHE_OFF] = True
    if model.settings.profile == "pro":
        values.update(dashboard_mode(secrets))
    entries = [(option("gateway", k), v) for k, v in values.items()]
    entries.append((option("gateway", "type"), "redis"))
    entries.extend(storage_entries(conn))
    return ConfigDoc("gateway", release, tuple(entries))
