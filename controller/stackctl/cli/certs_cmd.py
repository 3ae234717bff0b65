"""`stackctl certs`: create or refresh the stack's PKI."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from stackctl.cli._common import JSON_OPTION, print_json, settings_for
from stackctl.cluster.pki import ensure_pki
from stackctl.model import build_model

STYLE = {"created": "[green]created[/]", "kept": "kept", "reissued": "[yellow]reissued[/]"}


def certs(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Re-issue everything, the CA included."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the CA, a certificate per Redis node and per Redis client (ECDSA P-256).

    Keeps valid ones; re-issues on a SAN change, a foreign CA or under 30 days left.
    """
    result = ensure_pki(build_model(settings_for(ctx)), force=force)
    if as_json:
        print_json(result.as_dict())
        return

    table = Table("certificate", "action", "reason", "expires", box=None)
    for c in result.certs:
        table.add_row(c.name, STYLE[c.action], c.reason, f"{c.not_after:%Y-%m-%d}")
    console = Console()
    console.print(table)
    console.print(f"PKI in {result.certs_dir}" + ("" if result.changed else " (unchanged)"))
