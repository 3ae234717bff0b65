"""Dashboard (profile pro): tyk_analytics.conf Redis fields and licence (or TYK_DB_*).

Only what stackctl can vouch for is rendered; the dashboard also needs MongoDB or
PostgreSQL settings, which the pro profile has to add.
"""

from __future__ import annotations

from stackctl.errors import ConfigError
from stackctl.model import StackModel
from stackctl.secrets import SECRETS_FILE, Secrets
from stackctl.tyk._storage import storage_entries
from stackctl.tyk.connection import build_connection
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.lookup import option


def render_dashboard(model: StackModel, secrets: Secrets, release: str) -> ConfigDoc:
    """The dashboard's configuration; ConfigError without a licence."""
    if secrets.licence is None:
        raise ConfigError(
            "licence", "the Tyk Dashboard (profile pro) needs a licence",
            f"add \"licence\": \"<JWT>\" to {model.settings.state_dir / SECRETS_FILE}"
            " or use profile oss")
    entries = [(option("dashboard", "license_key"), secrets.licence.get_secret_value())]
    entries.extend(storage_entries(build_connection(model, secrets, "dashboard")))
    return ConfigDoc("dashboard", release, tuple(entries))
