"""Input digests: a local image is rebuilt only when what went into it changed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from stackctl import versions
from stackctl.tools.debootstrap import SLIM_DPKG_CFG
from stackctl.versions import ImageSpec

SCHEMA = 1
"""Bump to invalidate every local image at once (a change in how images are made)."""


def recipe_files(recipe_dir: Path) -> dict[str, str]:
    """relative path -> sha256 of each file of a recipe folder (sorted, hidden files skipped)."""
    out: dict[str, str] = {}
    for path in sorted(recipe_dir.rglob("*")):
        rel = path.relative_to(recipe_dir)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def inputs(spec: ImageSpec, recipe: Mapping[str, str], dep_ids: Mapping[str, str],
           go_version: str | None = None) -> dict[str, object]:
    """Everything that decides an image's content, as one JSON-able document."""
    doc: dict[str, object] = {
        "schema": SCHEMA,
        "spec": dataclasses.asdict(spec),
        "recipe": dict(sorted(recipe.items())),
        "deps": dict(sorted(dep_ids.items())),
    }
    if spec.name == "base":
        doc["debootstrap"] = {"suite": versions.DEBIAN_SUITE, "mirror": versions.DEBIAN_MIRROR,
                              "variant": versions.DEBOOTSTRAP_VARIANT, "slim": SLIM_DPKG_CFG}
    if spec.module is not None:
        doc["go"] = go_version or ""
    return doc


def digest(doc: Mapping[str, object]) -> str:
    """`sha256:<hex>` of the canonical JSON of `doc`."""
    canon = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canon.encode()).hexdigest()


def image_digest(spec: ImageSpec, recipe_dir: Path, dep_ids: Mapping[str, str],
                 go_version: str | None = None, shared: Sequence[Path] = ()) -> str:
    """One image's inputs digest (`io.stackctl.inputs`); `shared` folders' files count too."""
    files = recipe_files(recipe_dir)
    for folder in shared:
        files.update({f"{folder.name}/{k}": v for k, v in recipe_files(folder).items()})
    return digest(inputs(spec, files, dep_ids, go_version))
