"""The secrets file: generated on first use, kept 0600 in the state directory; held as
`SecretStr` (masked `repr`), never on a command line, never printed unless asked."""

from __future__ import annotations

import json
import os
import secrets as _random
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr, ValidationError

from stackctl.errors import ConfigError
from stackctl.state import atomic_write

SECRETS_FILE = "secrets.json"
SECRET_MODE = 0o600


class Secrets(BaseModel):
    """The stack's secrets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    redis_password: SecretStr
    gateway_secret: SecretStr
    licence: SecretStr | None = None  # Tyk Dashboard licence: given by the user, never made
    # profile pro (generated with the others; None only in hand-made instances):
    node_secret: SecretStr | None = None  # gateway node_secret = Dashboard shared_node_secret
    dashboard_admin_secret: SecretStr | None = None  # the Dashboard's admin_secret
    postgres_password: SecretStr | None = None  # the Dashboard's PostgreSQL user

    def dump(self) -> dict[str, str]:
        """Plain values for writing the file (never display), without a STACKCTL_LICENCE licence."""
        out = {
            "redis_password": self.redis_password.get_secret_value(),
            "gateway_secret": self.gateway_secret.get_secret_value(),
        }
        for name in ("licence", *PRO_SECRETS):
            value = getattr(self, name)
            if value is not None and not (name == "licence" and self._licence_from_env):
                out[name] = value.get_secret_value()
        return out

    _licence_from_env: bool = PrivateAttr(default=False)

    def required(self, name: str) -> SecretStr:
        """A secret the caller needs (ConfigError when a hand-made instance lacks it)."""
        value = getattr(self, name)
        if value is None:
            raise ConfigError(f"secrets: {name}", "is missing",
                              "remove the secrets file's entry to have it generated")
        return value  # type: ignore[no-any-return]


PRO_SECRETS = ("node_secret", "dashboard_admin_secret", "postgres_password")
LICENCE_ENV = "STACKCTL_LICENCE"
"""The Dashboard licence may come from this variable instead of the secrets file (the
file wins); it is never written to the file."""


def _generate() -> dict[str, str]:
    out = {
        "redis_password": _random.token_urlsafe(32),
        "gateway_secret": _random.token_urlsafe(32),
    }
    out.update({name: _random.token_hex(24) for name in PRO_SECRETS})
    return out


def secrets_path(state_dir: Path) -> Path:
    """Where the secrets file lives."""
    return state_dir / SECRETS_FILE


def load_secrets(state_dir: Path, create: bool = True) -> Secrets:
    """Read the secrets file, generating any missing secret (and the file) when `create`."""
    path = secrets_path(state_dir)
    data: dict[str, str] = {}
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, SECRET_MODE)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(str(path), "is not a readable JSON secrets file",
                              "fix it, or move it away to have new secrets generated") from exc
        if not isinstance(data, dict):
            raise ConfigError(str(path), "must hold a JSON object",
                              "move it away to have new secrets generated")
    missing = {k: v for k, v in _generate().items() if not data.get(k)}
    if missing and not create:
        raise ConfigError(str(path), "has no secrets yet", "run `stackctl up` or `stackctl render`")
    data = {**data, **missing}
    try:
        result = Secrets.model_validate(data)
    except ValidationError as exc:
        bad = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise ConfigError(f"{path}: {bad}", "invalid secret",
                          "fix or remove that entry to have it generated") from None
    if missing:
        atomic_write(path, json.dumps(result.dump(), indent=2) + "\n", SECRET_MODE)
    env_licence = os.environ.get(LICENCE_ENV, "").strip()
    if result.licence is None and env_licence:
        result = result.model_copy(update={"licence": SecretStr(env_licence)})
        result._licence_from_env = True
    return result


def read_licence(state_dir: Path) -> SecretStr | None:
    """The Dashboard licence from the secrets file, else STACKCTL_LICENCE, else None (read only)."""
    path = secrets_path(state_dir)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    value = data.get("licence") if isinstance(data, dict) else None
    if isinstance(value, str) and value.strip():
        return SecretStr(value.strip())
    env = os.environ.get(LICENCE_ENV, "").strip()
    return SecretStr(env) if env else None
