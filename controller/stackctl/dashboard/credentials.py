"""The Dashboard admin's credentials, kept 0600 in the state directory (never printed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from stackctl.secrets import SECRET_MODE
from stackctl.state import atomic_write_json, read_json

CREDENTIALS_FILE = "dashboard-admin.json"
ORG_NAME = "stackctl"
ORG_SLUG = "stackctl"
ADMIN_EMAIL = "admin@stackctl.example"
"""The bootstrap's organisation and admin user (example.com-style: never a real mailbox)."""


@dataclass(frozen=True)
class AdminCredentials:
    """The organisation and its admin user, with the user's Dashboard API key."""

    org_id: str
    user_id: str
    email: str
    access_key: SecretStr
    password: SecretStr

    def dump(self) -> dict[str, str]:
        """Plain values, for the 0600 file only."""
        return {"org_id": self.org_id, "user_id": self.user_id, "email": self.email,
                "access_key": self.access_key.get_secret_value(),
                "password": self.password.get_secret_value()}


def credentials_path(state_dir: Path) -> Path:
    """Where the admin's credentials live."""
    return state_dir / CREDENTIALS_FILE


def load_credentials(state_dir: Path) -> AdminCredentials | None:
    """The saved credentials, or None (absent, unreadable or incomplete)."""
    try:
        data = read_json(credentials_path(state_dir))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    try:
        return AdminCredentials(str(data["org_id"]), str(data["user_id"]), str(data["email"]),
                                SecretStr(str(data["access_key"])),
                                SecretStr(str(data["password"])))
    except KeyError:
        return None


def save_credentials(state_dir: Path, creds: AdminCredentials) -> Path:
    """Write the credentials atomically, 0600; return the path."""
    path = credentials_path(state_dir)
    atomic_write_json(path, creds.dump(), SECRET_MODE)
    return path
