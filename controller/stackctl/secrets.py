"""The secrets file: generated on first use, kept 0600 in the state directory.

Secrets never travel on a command line and are never printed unless asked: the model holds
them as `SecretStr`, whose `repr` is masked.
"""

from __future__ import annotations

import json
import os
import secrets as _random
import stat
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

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

    def dump(self) -> dict[str, str]:
        """Plain values, for writing the file (never for display)."""
        out = {
            "redis_password": self.redis_password.get_secret_value(),
            "gateway_secret": self.gateway_secret.get_secret_value(),
        }
        if self.licence is not None:
            out["licence"] = self.licence.get_secret_value()
        return out


def _generate() -> dict[str, str]:
    return {
        "redis_password": _random.token_urlsafe(32),
        "gateway_secret": _random.token_urlsafe(32),
    }


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
    return result
