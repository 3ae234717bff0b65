"""What every command shares: global options, settings loading and output."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import typer

from stackctl.cli.options import Globals
from stackctl.context import StackContext
from stackctl.context.recorded import for_running_stack
from stackctl.engine.factory import stack_context
from stackctl.errors import ConfigError
from stackctl.model import build_model
from stackctl.settings import load_settings, nested

if TYPE_CHECKING:
    from stackctl.settings import Settings

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON on stdout.")


def globals_of(ctx: typer.Context) -> Globals:
    """The global options of this invocation."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Globals) else Globals()


def settings_for(ctx: typer.Context, **flags: Any) -> Settings:
    """Resolve settings with this command's flags (dotted names, None = not given) on top."""
    return load_settings(globals_of(ctx).config, nested(flags))


def print_json(obj: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")
    sys.stdout.flush()


def print_json_line(obj: Any) -> None:
    """One compact JSON object on one line (event streams)."""
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def running_context(ctx: typer.Context) -> StackContext:
    """The context of the stack in the state directory on the settings its `up` recorded (an
    explicit conflicting one is an error); ConfigError (exit 2) when none was rendered there."""
    step_ctx = stack_context(build_model(for_running_stack(settings_for(ctx))))
    rendered = step_ctx.engine.rendered_file
    if not rendered.exists():
        name = step_ctx.engine.name
        raise ConfigError(str(rendered), f"no {name} stack rendered here",
                          f"run `stackctl up --engine {name}` first (or pass the same "
                          "--config)")
    return step_ctx
