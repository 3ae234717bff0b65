"""The `stackctl` application: global options, command registration, error handling."""

from __future__ import annotations

import errno
import importlib
import json
import sys
import traceback
from pathlib import Path
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from stackctl._version import __version__
from stackctl.cli.options import Globals
from stackctl.errors import StackctlError

COMMANDS: dict[str, tuple[str, str, str]] = {
    # name: (module, attribute: a command function or a Typer of subcommands, one-line help)
    "up": ("stackctl.cli.stack_cmd", "up",
           "Stand up the whole stack, from nothing to healthy and smoke-tested."),
    "down": ("stackctl.cli.stack_cmd", "down",
             "Stop and remove the stack (volumes kept unless --volumes)."),
    "status": ("stackctl.cli.stack_cmd", "status",
               "Services, cluster and gateway state; exits 1 when anything is unhealthy."),
    "logs": ("stackctl.cli.stack_cmd", "logs", "Show the stack's logs."),
    "doctor": ("stackctl.cli.doctor_cmd", "doctor",
               "Check the Docker engine, Compose plugin, ports, disk, images and Go toolchain."),
    "render": ("stackctl.cli.render_cmd", "render",
               "Render gateway, pump and (pro) dashboard configs from the one model."),
    "lint": ("stackctl.cli.lint_cmd", "lint",
             "Report wrong or inert names, drift, and cluster pitfalls."),
    "smoke": ("stackctl.cli.smoke_cmd", "smoke",
              "Send real, keyed load through the gateway and verify the stack works."),
    "certs": ("stackctl.cli.certs_cmd", "certs",
              "Create the CA, a certificate per Redis node and per Redis client."),
    "sweep": ("stackctl.cli.sweep_cmd", "sweep",
              "Load the gateway at each pool size (max_active), interleaved with an A/A "
              "pair, and recommend one."),
    "drill": ("stackctl.cli.drill_cmd", "drill",
              "Inject a fault under keyed load; measure what clients and health probes saw."),
    "config": ("stackctl.cli.config_cmd", "app", "Inspect the resolved settings."),
    "images": ("stackctl.cli.images_cmd", "app",
               "Build, list, save and load the stack's images."),
}
"""Every command, registered lazily: its module is imported only when the command runs
(`--help` lists the one-line help above), so a command does not pay for the others'
imports (settings, pydantic, cryptography, httpx: ~0.5 s of start-up). The one documented
exception to imports at the module top (README, code layout)."""


def load_command(name: str) -> TyperCommand | TyperGroup:
    """The command `name` (COMMANDS), its module imported now."""
    module, attr, _ = COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    if isinstance(target, typer.Typer):  # a group of subcommands, as add_typer made it
        command: TyperCommand | TyperGroup = typer.main.get_group(target)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(target)
        command = typer.main.get_command(single)  # type: ignore[assignment]
    command.name = name
    return command


class Entry(TyperCommand):
    """A command not loaded yet: its name and one-line help (what `--help` lists)."""


class LazyGroup(TyperGroup):
    """The root group: every command of COMMANDS is known by name (the help listing and
    typo suggestions read the table), and imported on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.listing = False
        for name, (_, _, text) in COMMANDS.items():
            self.commands[name] = Entry(name, help=text, short_help=text)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, Entry) and not self.listing:
            command = self.commands[cmd_name] = load_command(cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="stackctl",
    help="Stand up a Tyk API Gateway stack on a real Redis Cluster, and prove it works.",
    no_args_is_help=True,
    add_completion=False,
    cls=LazyGroup,
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


def _verbose(argv: list[str]) -> bool:
    """Whether -v/--verbose is among the global options (before the command name)."""
    args = iter(argv)
    for arg in args:
        if arg in ("-v", "--verbose"):
            return True
        if arg in ("-c", "--config"):
            next(args, None)
        elif not arg.startswith("-"):
            return False
    return False


_OS_FIXES = {
    errno.ENOENT: "check that the path exists (or can be created) on a writable filesystem",
    errno.EACCES: "check its permissions, or choose another path",
    errno.EPERM: "check its permissions, or choose another path",
    errno.EROFS: "the filesystem is read-only: choose another path",
    errno.ENOSPC: "free some disk space (`stackctl doctor` checks it)",
    errno.EDQUOT: "free some disk space (`stackctl doctor` checks it)",
    errno.EEXIST: "something is in the way: move it, or choose another path",
    errno.ENOTDIR: "a file is where a directory should be: move it, or choose another path",
    errno.EISDIR: "a directory is where a file should be: move it, or choose another path",
    errno.ENOTEMPTY: "the directory is not empty: empty it, or choose another path",
}


def _os_line(exc: OSError) -> str:
    """One line for a filesystem (or socket) error: the path, the problem, a fix."""
    why = (exc.strerror or str(exc) or exc.__class__.__name__).lower()
    if exc.filename is None:
        return f"{why}; is the stack up? `stackctl status`, and `stackctl doctor`"
    where = str(exc.filename)
    if exc.filename2 is not None:
        where += f" -> {exc.filename2}"
    fix = _OS_FIXES.get(exc.errno or 0, "check the path; run with --verbose for details")
    return f"{where}: {why}; {fix}"


def expected_error(exc: BaseException) -> tuple[str, int] | None:
    """The one message and exit code for an error a user can meet (stackctl's own,
    filesystem, Docker, malformed files); None for a bug (shown as a traceback)."""
    if isinstance(exc, StackctlError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):
        return _os_line(exc), 1
    if isinstance(exc, UnicodeDecodeError | json.JSONDecodeError):
        kind = "JSON" if isinstance(exc, json.JSONDecodeError) else "UTF-8"
        return (f"a file is not valid {kind} ({exc}); run with --verbose to see which, "
                "then fix or delete it"), 2
    try:
        from python_on_whales.exceptions import DockerException
    except ImportError:  # pragma: no cover - a dependency
        return None
    if isinstance(exc, DockerException):
        stderr = (exc.stderr or "").strip()
        last = stderr.splitlines()[-1] if stderr else f"exit code {exc.return_code}"
        return f"docker: {last}; is Docker running? `stackctl doctor`", 1
    return None


def run() -> None:
    """Console-script entry point: one line per error on stderr, non-zero exit.

    Usage errors are typer's (exit 2); stackctl's own errors, filesystem and Docker
    errors and malformed files print here as one line with a fix (a traceback first
    with --verbose). Anything else is a bug and keeps its traceback.
    """
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("stackctl: interrupted\n")
        sys.exit(130)
    except Exception as exc:
        known = expected_error(exc)
        if known is None:
            raise
        if _verbose(sys.argv[1:]):
            traceback.print_exception(exc)
        message, code = known
        for line in message.splitlines():
            sys.stderr.write(f"stackctl: error: {line}\n")
        sys.exit(code)
