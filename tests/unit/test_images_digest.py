"""Input digests of local images: stable for equal inputs, changed by any input."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from stackctl import versions
from stackctl.images import digest as d

pytestmark = pytest.mark.unit


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    folder = tmp_path / "redis"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM x\nRUN true\n")
    (folder / "conf").mkdir()
    (folder / "conf" / "a.conf").write_text("a 1\n")
    return folder


def test_digest_is_stable_and_shaped(recipe: Path) -> None:
    spec = versions.image("redis")
    first = d.image_digest(spec, recipe, {"base": "sha256:aaa"})
    again = d.image_digest(spec, recipe, {"base": "sha256:aaa"})
    assert first == again
    assert first.startswith("sha256:") and len(first) == len("sha256:") + 64


def test_recipe_file_change_changes_digest(recipe: Path) -> None:
    spec = versions.image("redis")
    before = d.image_digest(spec, recipe, {"base": "sha256:aaa"})
    (recipe / "conf" / "a.conf").write_text("a 2\n")
    assert d.image_digest(spec, recipe, {"base": "sha256:aaa"}) != before


def test_new_recipe_file_changes_digest_but_hidden_files_do_not(recipe: Path) -> None:
    spec = versions.image("redis")
    before = d.image_digest(spec, recipe, {})
    (recipe / ".swp").write_text("editor junk")
    assert d.image_digest(spec, recipe, {}) == before
    (recipe / "extra.txt").write_text("x")
    assert d.image_digest(spec, recipe, {}) != before


def test_base_image_id_changes_digest(recipe: Path) -> None:
    spec = versions.image("redis")
    assert (d.image_digest(spec, recipe, {"base": "sha256:aaa"})
            != d.image_digest(spec, recipe, {"base": "sha256:bbb"}))


def test_version_table_entry_changes_digest(recipe: Path) -> None:
    spec = versions.image("redis")
    bumped = dataclasses.replace(spec, build_args=(("REDIS_VERSION", "7.0.16"),))
    assert d.image_digest(spec, recipe, {}) != d.image_digest(bumped, recipe, {})


def test_go_version_counts_only_for_go_images(recipe: Path) -> None:
    pump = versions.image("tyk-pump")
    assert (d.image_digest(pump, recipe, {}, "1.26.8")
            != d.image_digest(pump, recipe, {}, "1.25.0"))
    redis = versions.image("redis")
    assert d.image_digest(redis, recipe, {}, "1.26.8") == d.image_digest(redis, recipe, {}, None)


def test_module_version_changes_digest(recipe: Path) -> None:
    pump = versions.image("tyk-pump")
    assert pump.module is not None
    other = dataclasses.replace(pump, module=dataclasses.replace(pump.module, version="v1.13.0"))
    assert d.image_digest(pump, recipe, {}, "1.26.8") != d.image_digest(other, recipe, {}, "1.26.8")


def test_every_buildable_image_has_a_recipe_folder() -> None:
    root = Path(__file__).resolve().parents[2] / "stack" / "images"
    for name in versions.BUILDABLE:
        spec = versions.image(name)
        assert (root / spec.recipe / "Dockerfile").is_file(), name
        assert d.recipe_files(root / spec.recipe), name


def test_requirement_edits_and_shared_files_change_the_digest(tmp_path: Path) -> None:
    spec = versions.image("tyk-gateway")
    recipe, shared = tmp_path / "recipe", tmp_path / "distroless"
    recipe.mkdir()
    shared.mkdir()
    (recipe / "Dockerfile").write_text("FROM scratch\n")
    (shared / "rootfs.sh").write_text("#!/bin/sh\n")
    assert spec.module is not None
    released = dataclasses.replace(spec, module=dataclasses.replace(spec.module, requires=()))
    base = d.image_digest(spec, recipe, {"base": "id"}, "1.26.8", [shared])
    assert d.image_digest(released, recipe, {"base": "id"}, "1.26.8", [shared]) != base
    (shared / "rootfs.sh").write_text("#!/bin/sh\necho changed\n")
    assert d.image_digest(spec, recipe, {"base": "id"}, "1.26.8", [shared]) != base
