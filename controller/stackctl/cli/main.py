"""The `stackctl` application: global options, command registration, error handling."""

from __future__ import annotations

import errno
import json
import sys
import traceback
from pathlib import Path

import typer

from stackctl._version import __version__
from stackctl.cli import (
    certs_cmd,
    config_cmd,
    doctor_cmd,
    drill_cmd,
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
app.command("drill")(drill_cmd.drill)


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
