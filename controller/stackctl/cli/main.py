"""The `stackctl` application: global options, command registration, error handling."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from stackctl._version import __version__
from stackctl.cli import (
    certs_cmd,
    config_cmd,
    doctor_cmd,
    images_cmd,
    lint_cmd,
    render_cmd,
    smoke_cmd,
    stack_cmd,
    sweep_cmd,
)
from stackctl.cli._common import Globals
from stackctl.errors import StackctlError

app = typer.Typer(
    name="stackctl",
    help="Stand up a Tyk API Gateway stack on a real Redis Cluster, and prove it works.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stackctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", envvar="STACKCTL_CONFIG",
        help="Settings file (default: ./stackctl.toml when present).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show more detail."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Global options."""
    ctx.obj = Globals(config=config, verbose=verbose)


app.command("up")(stack_cmd.up)
app.command("down")(stack_cmd.down)
app.command("status")(stack_cmd.status)
app.command("logs")(stack_cmd.logs)
app.add_typer(config_cmd.app, name="config")
app.command("doctor")(doctor_cmd.doctor)
app.command("render")(render_cmd.render)
app.command("lint")(lint_cmd.lint)
# Further commands register here, one line each.
app.command("smoke")(smoke_cmd.smoke)
app.command("certs")(certs_cmd.certs)
app.add_typer(images_cmd.app, name="images")
app.command("sweep")(sweep_cmd.sweep)


def run() -> None:
    """Console-script entry point: one line per error on stderr, non-zero exit.

    Usage errors are typer's (exit 2); stackctl's own errors print here.
    """
    try:
        app()
    except StackctlError as exc:
        for line in str(exc).splitlines():
            sys.stderr.write(f"stackctl: error: {line}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("stackctl: interrupted\n")
        sys.exit(130)
