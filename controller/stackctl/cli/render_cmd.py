"""`stackctl render`: write the Tyk configs of this stack (files or env form)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from stackctl.cli._common import JSON_OPTION, print_json, settings_for
from stackctl.errors import ConfigError
from stackctl.model import build_model
from stackctl.render.reference import REFERENCE_DIR, render_reference
from stackctl.secrets import load_secrets
from stackctl.tyk.bundle import RENDERED_DIR, render_files, write_files
from stackctl.tyk.schema import Form
from stackctl.tyk.support import check_support

FORMATS: dict[str, Form] = {"files": "json", "env": "env"}
FORMAT_OPTION = typer.Option(
    "files", "--format",
    help="files (tyk.conf, ...), env (*.env), or reference (the compose/ stack, defaults).")
OUT_OPTION = typer.Option(None, "--out", help="Directory (default <state_dir>/rendered).")


def render(
    ctx: typer.Context,
    fmt: str = FORMAT_OPTION,
    out: Path | None = OUT_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Render gateway, pump and (pro) dashboard configs from the one model; secrets stay 0600."""
    if fmt == "reference":
        written = render_reference(out if out is not None else REFERENCE_DIR)
        if as_json:
            print_json({"format": fmt, "files": [str(p) for p in written]})
        else:
            typer.echo(f"wrote {len(written)} files of the reference stack to {written[0].parent}")
        return
    if fmt not in FORMATS:
        raise ConfigError("--format", f"unknown format {fmt!r}", "use files, env or reference")
    settings = settings_for(ctx)
    check_support(settings)
    model = build_model(settings)
    files = render_files(model, load_secrets(settings.state_dir), FORMATS[fmt])
    out_dir = out if out is not None else settings.state_dir / RENDERED_DIR
    paths = write_files(files, out_dir)
    rows: list[dict[str, Any]] = [
        {"path": str(p), "component": f.component, "mode": f"{f.mode:o}", "keys": f.keys}
        for p, f in zip(paths, files, strict=True)]
    if as_json:
        print_json({"format": fmt, "dir": str(out_dir), "files": rows})
        return
    for row in rows:
        typer.echo(f"wrote {row['path']} ({row['component']}, {row['keys']} keys,"
                   f" mode {row['mode']})")
