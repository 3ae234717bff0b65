"""`stackctl doctor`: machine readiness checks; `--stack` diagnoses a running stack."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from stackctl.cli._common import JSON_OPTION, print_json, running_context, settings_for
from stackctl.diagnose.report import report_lines
from stackctl.diagnose.run import diagnose_stack
from stackctl.doctor import run_checks

STYLE = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


def doctor(
    ctx: typer.Context,
    stack: bool = typer.Option(
        False, "--stack",
        help="Diagnose the stack's Redis connections from inside its network instead."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check the Docker engine, Compose plugin, ports, disk, images and Go toolchain.

    With --stack: probe each component's Redis addresses, TLS, ACL user and the cluster
    from inside the stack network, and name the most likely cause with its fix.
    Exits 1 when any check fails (with --stack: when a cause is found).
    """
    if stack:
        _doctor_stack(ctx, as_json)
        return

    checks = run_checks(settings_for(ctx))
    if as_json:
        print_json({"checks": [c.as_dict() for c in checks]})
    else:
        table = Table("check", "status", "detail", "fix", box=None)
        for c in checks:
            table.add_row(c.name, STYLE[c.status], c.detail, c.fix)
        Console().print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


def _doctor_stack(ctx: typer.Context, as_json: bool) -> None:
    diagnosis = diagnose_stack(running_context(ctx))
    if as_json:
        print_json(diagnosis.as_dict())
    else:
        for line in report_lines(diagnosis):
            typer.echo(line)
    if diagnosis.findings:
        raise typer.Exit(1)
