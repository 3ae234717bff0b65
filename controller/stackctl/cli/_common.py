"""What every command shares: global options, settings loading and output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from stackctl.settings import Settings

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")


@dataclass
class Globals:
    """Options given before the command name."""

    config: Path | None = None
    verbose: bool = False


def globals_of(ctx: typer.Context) -> Globals:
    """The global options of this invocation."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Globals) else Globals()


def settings_for(ctx: typer.Context, **flags: Any) -> Settings:
    """Resolve settings with this command's flags (dotted names, None = not given) on top."""
    from stackctl.settings import load_settings, nested

    return load_settings(globals_of(ctx).config, nested(flags))


def print_json(obj: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_json_line(obj: Any) -> None:
    """One compact JSON object on one line (event streams)."""
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()
