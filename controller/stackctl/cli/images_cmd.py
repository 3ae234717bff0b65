"""`stackctl images build|list`: the locally built images of the version table."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from stackctl import versions
from stackctl.cli._common import JSON_OPTION, print_json, settings_for
from stackctl.cli.stack_view import console
from stackctl.errors import ConfigError
from stackctl.images.build import build_images
from stackctl.images.select import stack_images
from stackctl.names import GO_REDIS_LABEL, INPUTS_LABEL, RELEASE_LABEL, STORAGE_LABEL
from stackctl.runtime.engine import engine_version
from stackctl.runtime.images import image_facts, images_present, load_images, save_images
from stackctl.versions import image

app = typer.Typer(help="Build, list, save and load the stack's images.", no_args_is_help=True)

STYLE = {"built": "[green]built[/]", "skipped": "[dim]skipped[/]", "failed": "[red]failed[/]"}


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
    """Build base, redis, tyk-gateway (v5.8.1 with go-redis v9.13.0),
    tyk-gateway-as-released (v5.8.1), tyk-pump, postgres, upstream and load locally.

    Unchanged images are skipped. Exits 1 when any image failed, 2 for an unknown name.
    """

    err = Console(stderr=True, soft_wrap=True)
    report = build_images([*only, *(names or [])], force=force,
                          progress=lambda msg: err.print(f"[dim]{msg}[/]", highlight=False))
    if as_json:
        print_json(report.as_dict())
    else:
        table = Table("image", "tag", "status", "size", "seconds", "detail", box=None)
        for r in report.results:
            table.add_row(r.name, r.tag, STYLE[r.status], _size(r.size_bytes),
                          f"{r.seconds:.1f}", r.detail)
        console().print(table)
    for r in report.failed:
        sys.stderr.write(f"stackctl: error: {r.name}: {r.detail}\n")
    if report.failed:
        raise typer.Exit(1)


@app.command("list")
def list_images(as_json: bool = JSON_OPTION) -> None:
    """Every image of the version table, local tag and official name, present or not."""
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
            "inputs": facts.labels.get(INPUTS_LABEL) if facts else None,
            "tyk_release": facts.labels.get(RELEASE_LABEL) if facts else None,
            "go_redis": facts.labels.get(GO_REDIS_LABEL) if facts else None,
            "tyk_storage": facts.labels.get(STORAGE_LABEL) if facts else None,
        })
    if as_json:
        print_json({"images": rows})
        return

    table = Table("image", "tag", "official", "present", "size", "release / Redis client",
                  box=None)
    for row in rows:
        present = "[green]yes[/]" if row["present"] else "[yellow]no[/]"
        size = row["size_bytes"]
        client = " ".join(f"{what} {row[key]}" for key, what in (
            ("tyk_release", "tyk"), ("go_redis", "go-redis"), ("tyk_storage", "storage"))
            if row[key])
        table.add_row(str(row["name"]), str(row["tag"]), str(row["official"] or "-"), present,
                      _size(size if isinstance(size, int) else None), client or "-")
    console().print(table)


@app.command("save")
def save(
    ctx: typer.Context,
    out: Path = typer.Option(Path("stackctl-images.tar"), "--out",
                             help="The tar to write (atomically)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Save the images this stack runs (and the load image) into one tar, to copy onto
    the other swarm nodes and `stackctl images load` there (no registry needed)."""
    settings = settings_for(ctx)
    refs = sorted({*stack_images(settings).values(), image("load").local})
    missing = [r for r, ok in images_present(refs).items() if not ok]
    if missing:
        raise ConfigError("images", f"not present here: {', '.join(missing)}",
                          "run `stackctl images build` (or pull them) first")
    save_images(refs, out)
    size = out.stat().st_size
    if as_json:
        print_json({"file": str(out), "images": refs, "size_bytes": size})
    else:
        typer.echo(f"saved {len(refs)} images to {out} ({_size(size)}); on each node: "
                   f"`stackctl images load {out.name}`")


@app.command("load")
def load(
    path: Path = typer.Argument(..., help="A tar written by `stackctl images save`."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Load the images of a `stackctl images save` tar into this node's engine."""
    if not path.is_file():
        raise ConfigError(str(path), "no such file", "give the tar `stackctl images save` wrote")
    loaded = load_images(path)
    if as_json:
        print_json({"file": str(path), "images": loaded})
    else:
        typer.echo(f"loaded {len(loaded)} images from {path}: {', '.join(loaded)}")
