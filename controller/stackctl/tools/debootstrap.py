"""debootstrap: a Debian rootfs as a tarball, for `docker import`."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from stackctl.errors import ToolError
from stackctl.tools._run import run

TIMEOUT_S = 900.0
FALLBACK = Path("/usr/sbin/debootstrap")  # root's PATH has it, a user's may not

SLIM_DPKG_CFG = """\
# stackctl: keep images small, like Debian's slim images (docs, man pages, translations)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
"""
"""dpkg rules written into the rootfs; the same files already installed are deleted."""


def debootstrap_binary() -> str:
    """The debootstrap command; raises ToolError when absent."""
    found = shutil.which("debootstrap") or (str(FALLBACK) if FALLBACK.exists() else None)
    if not found:
        raise ToolError("debootstrap not found; install it (apt-get install debootstrap)")
    return found


def rootfs_tarball(suite: str, mirror: str, variant: str, dest: Path) -> Path:
    """Pack `suite`, bootstrapped in a scratch dir, as the tarball `dest` (root; appears whole)."""
    binary = debootstrap_binary()
    if os.geteuid() != 0:
        raise ToolError("debootstrap needs root: run `stackctl images build` as root")
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="rootfs.", dir=dest.parent))
    target = scratch / "rootfs"
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        run([binary, f"--variant={variant}", suite, str(target), mirror],
            what=f"debootstrap {suite}", timeout=TIMEOUT_S)
        slim(target)
        run(["tar", "--numeric-owner", "--xattrs", "-C", str(target), "-cf", str(partial), "."],
            what="tar rootfs", timeout=TIMEOUT_S)
        os.replace(partial, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        _remove_scratch(scratch)
    return dest


def slim(root: Path) -> None:
    """Drop docs, man pages, translations and apt leftovers; keep copyright files."""
    cfg = root / "etc/dpkg/dpkg.cfg.d/90stackctl-slim"
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text(SLIM_DPKG_CFG)
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (root / junk).glob("*"):
            if item.is_file():
                item.unlink()
    for folder in ("usr/share/man", "usr/share/info", "usr/share/groff", "usr/share/lintian"):
        for item in (root / folder).glob("*"):
            _remove(item)
    for item in (root / "usr/share/locale").glob("*"):
        if item.name != "locale.alias":
            _remove(item)
    for package in (root / "usr/share/doc").glob("*"):
        if package.is_dir() and not package.is_symlink():
            for item in package.iterdir():
                if item.name != "copyright":
                    _remove(item)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _mounts_under(path: Path) -> list[str]:
    """Mount points below `path` (debootstrap mounts /proc, /sys, maybe /dev there)."""
    prefix = str(path.resolve()) + "/"
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    points = [line.split()[1].replace("\\040", " ") for line in lines if len(line.split()) > 1]
    return [p for p in points if p.startswith(prefix)]


def _remove_scratch(scratch: Path) -> None:
    """Delete the scratch rootfs, never through a mount left behind by a killed run."""
    left = _mounts_under(scratch)
    if left:
        raise ToolError(f"debootstrap left mounts under {scratch}: unmount {' '.join(left)} "
                        "and delete the folder")
    shutil.rmtree(scratch, ignore_errors=True)
