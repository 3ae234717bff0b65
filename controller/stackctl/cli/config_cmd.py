"""`stackctl config show`: the resolved settings, secrets masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

from stackctl.cli._common import JSON_OPTION, print_json, settings_for
from stackctl.secrets import load_secrets, secrets_path
from stackctl.tyk.tables import MEASURED_DEFAULTS

app = typer.Typer(help="Inspect the resolved settings.", no_args_is_help=True)

MASK = "********"


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: bool = JSON_OPTION,
    show_secrets: bool = typer.Option(
        False, "--show-secrets", help="Print secret values (they are masked otherwise)."
    ),
) -> None:
    """Print the resolved settings as stackctl.toml (flags > STACKCTL_* env > stackctl.toml
    > defaults); the secrets file's entries masked unless --show-secrets."""
    settings = settings_for(ctx)
    data = settings.model_dump(mode="json")
    path = secrets_path(settings.state_dir)
    secrets: dict[str, str] = {}
    if path.exists():
        loaded = load_secrets(settings.state_dir, create=False).dump()
        secrets = loaded if show_secrets else {k: MASK for k in loaded}
    data["secrets"] = {"file": str(path), "values": secrets}
    if as_json:
        print_json(data)
        return
    typer.echo(settings_toml(data, type(settings)), nl=False)


def _toml_value(value: Any) -> str:
    """A TOML literal for a JSON-mode value (strings as basic strings: JSON's escapes are
    TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


MEASURED = {d.setting: d for d in MEASURED_DEFAULTS}


def _section(lines: list[str], values: dict[str, Any], model: type[BaseModel],
             prefix: str = "") -> None:
    """`key = value  # description` lines; an unset (None) value is a comment, as TOML has
    no null. A default chosen by measurement says so (MEASURED_DEFAULTS: what upstream
    ships; the figures are in the README)."""
    for key, value in values.items():
        if isinstance(value, dict):
            continue
        field = model.model_fields.get(key)
        desc = f"  # {field.description}" if field is not None and field.description else ""
        measured = MEASURED.get(prefix + key)
        if measured is not None:
            desc += (f" (default {_toml_value(measured.value)} by measurement; "
                     f"{measured.upstream})")
        if value is None:
            lines.append(f"# {key} = (not set){desc}")
        else:
            lines.append(f"{key} = {_toml_value(value)}{desc}")


def _tables(lines: list[str], prefix: str, values: dict[str, Any],
            model: type[BaseModel]) -> None:
    """`[name]` tables for the nested sections of `values`, nested ones as `[a.b]`."""
    for key, value in values.items():
        if not isinstance(value, dict):
            continue
        field = model.model_fields.get(key)
        sub = field.annotation if field is not None else None
        sub_model = sub if isinstance(sub, type) and issubclass(sub, BaseModel) else BaseModel
        lines += ["", f"[{prefix}{key}]"]
        _section(lines, value, sub_model, f"{prefix}{key}.")
        _tables(lines, f"{prefix}{key}.", value, sub_model)


def settings_toml(data: dict[str, Any], model: type[BaseModel]) -> str:
    """The human view of `config show`: its JSON view (`data`) as a stackctl.toml, which
    reads back as the same settings; the secrets as comments (they live in their own
    file, never in stackctl.toml)."""
    settings = {k: v for k, v in data.items() if k != "secrets"}
    lines = ["# stackctl.toml: the resolved settings "
             "(flags > STACKCTL_* env > stackctl.toml > defaults)"]
    _section(lines, settings, model)
    _tables(lines, "", settings, model)
    secrets = data.get("secrets", {})
    values: dict[str, str] = secrets.get("values", {})
    file = Path(str(secrets.get("file", "")))
    lines += ["", f"# Secrets are not settings: they live in {file} (mode 0600), never in "
              "stackctl.toml."]
    if not values:
        lines.append("# (none yet: `stackctl up` or `stackctl render` generates them)")
    else:
        masked = all(v == MASK for v in values.values())
        lines += [f"# {name} = {_toml_value(v)}" for name, v in values.items()]
        if masked:
            lines.append("# (masked; --show-secrets prints them)")
    return "\n".join(lines) + "\n"
