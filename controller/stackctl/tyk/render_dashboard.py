"""Dashboard (profile pro): tyk_analytics.conf (or TYK_DB_*) from the one model: Redis, the
licence, secrets paired with the gateway's, hash_keys, and PostgreSQL for storage."""

from __future__ import annotations

from typing import Any

from stackctl.errors import ConfigError
from stackctl.model import StackModel
from stackctl.secrets import LICENCE_ENV, SECRETS_FILE, Secrets
from stackctl.tyk.connection import build_connection, storage_entries
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.lookup import gateway_listen_port, option
from stackctl.tyk.pro import DASHBOARD_LISTEN_PORT, GATEWAY_HOST, postgres_dsn
from stackctl.tyk.tables import SHIPPED_GATEWAY

LICENCE_KEY = "license_key"


def missing_licence(model: StackModel) -> ConfigError:
    """The one-line error for profile pro without a licence."""
    return ConfigError(
        "licence", "the Tyk Dashboard (profile pro) needs a licence",
        f"add \"licence\": \"<JWT>\" to {model.settings.state_dir / SECRETS_FILE}, set "
        f"{LICENCE_ENV}, or use profile oss")


def render_dashboard(model: StackModel, secrets: Secrets, release: str) -> ConfigDoc:
    """The dashboard's configuration; ConfigError without a licence."""
    if secrets.licence is None:
        raise missing_licence(model)
    dsn = postgres_dsn(secrets, "database")
    values: dict[str, Any] = {
        LICENCE_KEY: secrets.licence.get_secret_value(),
        "listen_port": DASHBOARD_LISTEN_PORT,
        "admin_secret": secrets.required("dashboard_admin_secret").get_secret_value(),
        "shared_node_secret": secrets.required("node_secret").get_secret_value(),
        "tyk_api_config.Host": f"http://{GATEWAY_HOST}",
        "tyk_api_config.Port": str(gateway_listen_port()),
        "tyk_api_config.Secret": secrets.gateway_secret.get_secret_value(),
        "hash_keys": bool(dict(SHIPPED_GATEWAY.values)["hash_keys"]),  # the gateway's
        "host_config.hostname": str(model.settings.network.bind),
    }
    for part in ("main", "analytics", "uptime"):
        values[f"storage.{part}.type"] = "postgres"
        values[f"storage.{part}.connection_string"] = dsn
    entries = [(option("dashboard", k), v) for k, v in values.items()]
    entries.extend(storage_entries(build_connection(model, secrets, "dashboard")))
    return ConfigDoc("dashboard", release, tuple(entries))
