"""Profile pro's fixed names: the Dashboard and PostgreSQL services as the stack's other
containers reach them, and the connection strings built from the secrets."""

from __future__ import annotations

from stackctl.names import DASHBOARD_SERVICE, POSTGRES_SERVICE
from stackctl.secrets import Secrets

DASHBOARD_HOME = "/opt/tyk-dashboard"
DASHBOARD_LISTEN_PORT = 3000
"""The Dashboard's listen_port in its container (Tyk's shipped value)."""
POSTGRES_PORT = 5432
POSTGRES_USER = "tyk"
POSTGRES_DB = "tyk_analytics"
POSTGRES_DATA = "/var/lib/postgresql/data"
POSTGRES_PASSWORD_FILE = "postgres-password"
"""The rendered file (0600) the database reads its first password from (a Compose secret)."""
GATEWAY_HOST = "gateway"


def dashboard_url_in_stack() -> str:
    """The Dashboard as a gateway in the stack dials it."""
    return f"http://{DASHBOARD_SERVICE}:{DASHBOARD_LISTEN_PORT}"


def postgres_dsn(secrets: Secrets, database_key: str = "dbname") -> str:
    """A libpq keyword/value connection string (`database_key`: `dbname` for the pump's
    gorm driver; the Dashboard's docs write `database`). Holds the password: renderers only."""
    password = secrets.required("postgres_password").get_secret_value()
    return (f"host={POSTGRES_SERVICE} port={POSTGRES_PORT} user={POSTGRES_USER} "
            f"password={password} {database_key}={POSTGRES_DB} sslmode=disable")
