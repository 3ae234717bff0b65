"""Pump: pump.conf (or TYK_PMP_* environment) with a countable csv sink."""

from __future__ import annotations

from typing import Any

from stackctl.model import StackModel
from stackctl.secrets import Secrets
from stackctl.tyk._storage import storage_entries
from stackctl.tyk.connection import build_connection
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.lookup import option

CSV_DIR = "/opt/tyk-pump/csv"
"""Mount a host directory here: each hourly file has a header row, then one row per record."""
HEALTH_NAME = "health"
HEALTH_PORT = 8083


def render_pump(model: StackModel, secrets: Secrets, release: str) -> ConfigDoc:
    """The pump's configuration for this stack."""
    conn = build_connection(model, secrets, "pump")
    general: dict[str, Any] = {
        "omit_config_file": True,  # env form: ignore the image's own pump.conf
        "purge_delay": model.settings.pump.purge_delay,
        "dont_purge_uptime_data": True,  # no MongoDB: the uptime pump would exit
        "health_check_endpoint_name": HEALTH_NAME,
        "health_check_endpoint_port": HEALTH_PORT,
        "log_level": "info",
        "pumps.csv.type": "csv",
        "pumps.csv.meta.csv_dir": CSV_DIR,
    }
    entries = [(option("pump", k), v) for k, v in general.items()]
    entries.extend(storage_entries(conn))
    return ConfigDoc("pump", release, tuple(entries))
