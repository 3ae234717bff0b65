"""`stackctl images build|list`: the locally built images of the version table."""

from __future__ import annotations

import sys
from typing import Any

import typer

from stackctl.cli._common import JSON_OPTION, print_json

app = typer.Typer(help="Build and list the locally built images.", no_args_is_help=True)

STYLE = {"built": "[green]built[/]", "skipped": "[dim]skipped[/]", "failed": "[red]failed[/]"}


def _console() -> Any:
    """A rich console; wide when stdout is not a terminal, so tables are not cut."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 200)


def _size(size: int | None) -> str:
    return f"{size / 1024**2:.0f} MiB" if size else "-"


@app.command("build")
def build(
    names: list[str] = typer.Argument(
        None, metavar="NAME", help="Images to build, like --only (e.g. base redis)."
    ),
    only: list[str] = typer.Option(
        [], "--only", metavar="NAME",
        help="Build only these images (and what they are built on); repeat, comma-separate "
             "or list names after it: --only base redis tyk-pump.",
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even when inputs are unchanged."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Build base, redis, tyk-gateway, tyk-pump, upstream and load on the local engine.

    Unchanged images are skipped. Exits 1 when any image failed, 2 for an unknown name.
    """
    from rich.console import Console

    from stackctl.images.build import build_images

    err = Console(stderr=True, soft_wrap=True)
    report = build_images([*only, *(names or [])], force=force,
                          progress=lambda msg: err.print(f"[dim]{msg}[/]", highlight=False))
    if as_json:
        print_json(report.as_dict())
    else:
        from rich.table import Table

        table = Table("image", "tag", "status", "size", "seconds", "detail", box=None)
        for r in report.results:
            table.add_row(r.name, r.tag, STYLE[r.status], _size(r.size_bytes),
                          f"{r.seconds:.1f}", r.detail)
        _console().print(table)
    for r in report.failed:
        sys.stderr.write(f"stackctl: error: {r.name}: {r.detail}\n")
    if report.failed:
        raise typer.Exit(1)


@app.command("list")
def list_images(as_json: bool = JSON_OPTION) -> None:
    """Every image of the version table, local tag and official name, present or not."""
    from stackctl import versions
    from stackctl.runtime.engine import engine_version
    from stackctl.runtime.images import image_facts

    engine_version()
    rows = []
    for spec in versions.IMAGES:
        facts = image_facts(spec.local)
        rows.append({
            "name": spec.name,
            "tag": spec.local,
            "official": spec.official,
            "buildable": bool(spec.recipe),
            "present": facts is not None,
            "id": facts.id if facts else None,
            "size_bytes": facts.size_bytes if facts else None,
            "inputs": facts.labels.get(versions.INPUTS_LABEL) if facts else None,
        })
    if as_json:
        print_json({"images": rows})
        return
    from rich.table import Table

    table = Table("image", "tag", "official", "present", "size", box=None)
    for row in rows:
        present = "[green]yes[/]" if row["present"] else "[yellow]no[/]"
        size = row["size_bytes"]
        table.add_row(str(row["name"]), str(row["tag"]), str(row["official"] or "-"), present,
                      _size(size if isinstance(size, int) else None))
    _console().print(table)
