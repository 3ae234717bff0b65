"""The Redis block of any component, from the connection model via the role table."""

from __future__ import annotations

from typing import Any

from stackctl.tyk.connection import RedisConnection
from stackctl.tyk.lookup import by_role
from stackctl.tyk.schema import Option


def storage_entries(conn: RedisConnection) -> list[tuple[Option, Any]]:
    """(name, value) pairs of `conn.component`'s Redis settings."""
    return [(by_role(conn.component, role), value) for role, value in conn.roles().items()]
