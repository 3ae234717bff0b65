"""`stackctl doctor`: machine readiness checks."""

from __future__ import annotations

import typer

from stackctl.cli._common import JSON_OPTION, print_json, settings_for

STYLE = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}


def doctor(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Check the Docker engine, Compose plugin, ports, disk, images and Go toolchain.

    Exits 1 when any check fails.
    """
    from stackctl.doctor import run_checks

    checks = run_checks(settings_for(ctx))
    if as_json:
        print_json({"checks": [c.as_dict() for c in checks]})
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("check", "status", "detail", "fix", box=None)
        for c in checks:
            table.add_row(c.name, STYLE[c.status], c.detail, c.fix)
        Console().print(table)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)
