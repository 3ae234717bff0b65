"""The settings a stack was brought up with, recorded by `up` in the state directory: every
later command (smoke, sweep, status, logs, down) runs on them. A setting given explicitly
(flag, STACKCTL_* variable, stackctl.toml) that differs from the record is an error
naming it: changing the stack is `up`'s job."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from stackctl.errors import ConfigError, ConfigErrors
from stackctl.settings import Settings
from stackctl.state import read_json

APPLIED_FILE = "applied.json"
SETTINGS_KEY = "settings"
LOCAL_ONLY = ("state_dir",)
"""Settings that say where this command looks, not what the stack is."""


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings as JSON (no secrets: those live in the secrets file)."""
    return settings.model_dump(mode="json")


def recorded_settings(state_dir: Any) -> Settings | None:
    """The settings `up` recorded in `state_dir`; None when there is no (readable) record."""
    try:
        data = read_json(state_dir / APPLIED_FILE)
    except (OSError, ValueError):
        return None
    record = data.get(SETTINGS_KEY) if isinstance(data, dict) else None
    if not isinstance(record, dict):
        return None
    try:
        return Settings(**{**record, "state_dir": str(state_dir)})
    except ValidationError:
        return None  # written by another stackctl version: the current settings apply


def explicit(model: BaseModel, prefix: str = "") -> dict[str, Any]:
    """Dotted name -> JSON value of every setting given explicitly (not a default)."""
    dumped = model.model_dump(mode="json")
    out: dict[str, Any] = {}
    for name in model.model_fields_set:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out.update(explicit(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = dumped[name]
    return out


def _lookup(record: dict[str, Any], dotted: str) -> Any:
    node: Any = record
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def for_running_stack(current: Settings) -> Settings:
    """The settings `up` recorded in `current.state_dir`, else `current` (ConfigErrors)."""
    recorded = recorded_settings(current.state_dir)
    if recorded is None:
        return current
    record = settings_record(recorded)
    conflicts = [
        ConfigError(name, f"is {value!r} here, but the stack in {current.state_dir} was "
                    f"brought up with {_lookup(record, name)!r}",
                    "run `stackctl up` with it to change the stack, or leave it out to use "
                    "the stack as it is")
        for name, value in sorted(explicit(current).items())
        if name not in LOCAL_ONLY and _lookup(record, name) != value]
    if conflicts:
        raise ConfigErrors(conflicts)
    return recorded
