"""Analytics delivered by the pump's sql pump (profile pro): tyk_analytics rows for one API
id, counted by psql in the database's container (its local socket needs no password)."""

from __future__ import annotations

import re

from stackctl.errors import ToolError
from stackctl.names import POSTGRES_SERVICE
from stackctl.runtime.docker_cli import Exec
from stackctl.tyk.pro import POSTGRES_DB, POSTGRES_USER
from stackctl.tyk.tables import PRO_SQL_TABLES

_API_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
SINK = f"PostgreSQL ({PRO_SQL_TABLES['analytics']})"
"""How the smoke names where it counted in pro."""
NO_TABLE = "does not exist"
"""psql's words for a table the pump has not created yet (no record written so far)."""


def count_query(api_id: str, table: str = "analytics") -> str:
    """The SQL counting `api_id`'s rows (the id is checked: it is put in the query)."""
    if not _API_ID.match(api_id):
        raise ValueError(f"not an API id: {api_id!r}")
    return (f"SELECT count(*) FROM {PRO_SQL_TABLES[table]} "
            f"WHERE {PRO_SQL_TABLES['api_column']} = '{api_id}'")


def count_sql_records(compose: Exec, api_id: str, timeout: float = 10.0) -> int:
    """Rows for `api_id` in tyk_analytics (0 while the table does not exist yet)."""
    result = compose.exec(POSTGRES_SERVICE, ["psql", "-U", POSTGRES_USER, "-d", POSTGRES_DB,
                                             "-tAc", count_query(api_id)], timeout=timeout)
    if not result.ok:
        if NO_TABLE in result.stderr:
            return 0
        raise ToolError(f"psql in {POSTGRES_SERVICE}: {' '.join(result.stderr.split())[:160]}"
                        "; see `stackctl logs postgres`")
    return int(result.stdout.strip() or 0)
