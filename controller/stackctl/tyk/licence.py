"""The Tyk Dashboard licence (profile pro): a JWT whose `exp` is read without verifying
its signature (stackctl cannot: Tyk's key is Tyk's). Present, well formed, not expired."""

from __future__ import annotations

import base64
import binascii
import json
import time
from datetime import UTC, datetime

from pydantic import SecretStr

from stackctl.errors import ConfigError

SETTING = "licence"
NEW_LICENCE = ("put the licence Tyk issued, whole, in the secrets file's \"licence\" (or "
               "STACKCTL_LICENCE)")


def licence_expiry(licence: SecretStr) -> float | None:
    """The licence's `exp` (epoch s; None without one); ConfigError when it is not a JWT."""
    parts = licence.get_secret_value().strip().split(".")
    try:
        if len(parts) != 3 or not parts[1]:
            raise ValueError("not three parts")
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ConfigError(SETTING, "is not a JWT (three base64url parts, a JSON payload)",
                          NEW_LICENCE) from None
    if not isinstance(payload, dict):
        raise ConfigError(SETTING, "is not a JWT (its payload is not a JSON object)",
                          NEW_LICENCE)
    exp = payload.get("exp")
    if exp is None:
        return None
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise ConfigError(SETTING, f"has an exp that is not a number ({exp!r})", NEW_LICENCE)
    return float(exp)


def check_licence(licence: SecretStr, now: float | None = None) -> str:
    """ConfigError when malformed or expired; else a line saying until when it runs."""
    exp = licence_expiry(licence)
    if exp is None:
        return "licence present (no exp)"
    day = datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%d")
    if exp <= (time.time() if now is None else now):
        raise ConfigError(SETTING, f"expired on {day} (its exp)",
                          "get a new licence from Tyk and put it in the secrets file")
    return f"licence valid until {day}"
