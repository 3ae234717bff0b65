"""`stackctl config show`: the resolved settings, secrets masked."""

from __future__ import annotations

import typer

from stackctl.cli._common import JSON_OPTION, print_json, settings_for

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
    """Print the resolved settings (flags > STACKCTL_* env > stackctl.toml > defaults)."""
    from stackctl.secrets import load_secrets, secrets_path

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
    from rich.console import Console
    from rich.pretty import Pretty

    Console().print(Pretty(data))
