"""Pump: pump.conf (or TYK_PMP_* environment) with a countable csv sink."""

from __future__ import annotations

from typing import Any

from stackctl.model import StackModel
from stackctl.secrets import Secrets
from stackctl.tyk.connection import build_connection, storage_entries
from stackctl.tyk.document import ConfigDoc
from stackctl.tyk.lookup import option
from stackctl.tyk.pro import postgres_dsn
from stackctl.tyk.tables import SQL_PUMP_TYPES

CSV_DIR = "/opt/tyk-pump/csv"
"""Mount a host directory here: each hourly file has a header row, then one row per record."""
HEALTH_NAME = "health"
HEALTH_PORT = 8083


def sql_pumps(secrets: Secrets) -> dict[str, Any]:
    """Profile pro: sql, sql_aggregate and uptime pumps into the Dashboard's PostgreSQL."""
    dsn = postgres_dsn(secrets)
    out: dict[str, Any] = {"dont_purge_uptime_data": False}
    for name, kind in SQL_PUMP_TYPES.items():
        out.update({f"pumps.{name}.type": kind, f"pumps.{name}.meta.type": "postgres",
                    f"pumps.{name}.meta.connection_string": dsn})
    out.update({"uptime_pump_config.uptime_type": "sql", "uptime_pump_config.type": "postgres",
                "uptime_pump_config.connection_string": dsn})
    return out


def render_pump(model: StackModel, secrets: Secrets, release: str) -> ConfigDoc:
    """The pump's configuration for this stack."""
    conn = build_connection(model, secrets, "pump")
    general: dict[str, Any] = {
        "purge_delay": model.settings.pump.purge_delay,
        "dont_purge_uptime_data": True,  # no MongoDB: the uptime pump would exit
        "health_check_endpoint_name": HEALTH_NAME,
        "health_check_endpoint_port": HEALTH_PORT,
        "log_level": "info",
        "pumps.csv.type": "csv",
        "pumps.csv.meta.csv_dir": CSV_DIR,
    }
    if model.settings.profile == "pro":
        general.update(sql_pumps(secrets))
    entries = [(option("pump", k), v) for k, v in general.items()]
    entries.extend(storage_entries(conn))
    return ConfigDoc("pump", release, tuple(entries))
