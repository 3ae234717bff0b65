"""The debootstrap wrapper: a missing tool is one clear line; the rootfs is slimmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackctl.errors import ToolError
from stackctl.tools import debootstrap

pytestmark = pytest.mark.unit


def test_missing_debootstrap_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(debootstrap.shutil, "which", lambda _name: None)
    monkeypatch.setattr(debootstrap, "FALLBACK", tmp_path / "nope")
    with pytest.raises(ToolError) as err:
        debootstrap.rootfs_tarball("bookworm", "http://x", "minbase", tmp_path / "out.tar")
    assert str(err.value) == "debootstrap not found; install it (apt-get install debootstrap)"
    assert not (tmp_path / "out.tar").exists()


def test_slim_keeps_copyright_and_writes_dpkg_rules(tmp_path: Path) -> None:
    doc = tmp_path / "usr/share/doc/bash"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text("c")
    (doc / "README.gz").write_text("r")
    (tmp_path / "usr/share/man/man1").mkdir(parents=True)
    (tmp_path / "usr/share/man/man1/ls.1.gz").write_text("m")
    locale = tmp_path / "usr/share/locale"
    (locale / "de/LC_MESSAGES").mkdir(parents=True)
    (locale / "locale.alias").write_text("a")
    (tmp_path / "var/cache/apt/archives").mkdir(parents=True)
    (tmp_path / "var/cache/apt/archives/x.deb").write_text("d")
    debootstrap.slim(tmp_path)
    assert (doc / "copyright").exists() and not (doc / "README.gz").exists()
    assert not any((tmp_path / "usr/share/man").iterdir())
    assert [p.name for p in locale.iterdir()] == ["locale.alias"]
    assert not (tmp_path / "var/cache/apt/archives/x.deb").exists()
    rules = (tmp_path / "etc/dpkg/dpkg.cfg.d/90stackctl-slim").read_text()
    assert "path-include /usr/share/doc/*/copyright" in rules


def test_no_scratch_removal_through_a_mount(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    (tmp_path / "rootfs/proc").mkdir(parents=True)
    monkeypatch.setattr(debootstrap, "_mounts_under", lambda _p: [str(tmp_path / "rootfs/proc")])
    with pytest.raises(ToolError, match="left mounts"):
        debootstrap._remove_scratch(tmp_path)
    assert (tmp_path / "rootfs/proc").exists()
