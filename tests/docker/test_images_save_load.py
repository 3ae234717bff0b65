"""`images save` / `images load` round trip on the real engine (how images reach other
swarm nodes without a registry)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from stackctl.runtime.images import images_present, load_images, save_images
from stackctl.versions import image

pytestmark = pytest.mark.docker


def test_save_then_load_names_the_image(tmp_path: Path) -> None:
    ref = image("base").local
    if not images_present([ref])[ref]:
        pytest.fail(f"{ref} is not built here: run `stackctl images build base`")
    out = tmp_path / "images.tar"
    save_images([ref], out)
    with tarfile.open(out) as tar:
        assert "manifest.json" in tar.getnames()
    assert not list(tmp_path.glob(".images.tar.*"))  # the temporary file is gone
    assert ref in " ".join(load_images(out))
