"""The static assets (the repository's `stack/`, the data package `stackctl._stack`). Docker
needs real directories: bind mounts get a stable copy (`copy_tree`), builds `as_directory`."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from stackctl.errors import ConfigError
from stackctl.state import atomic_write

PACKAGE = "stackctl._stack"
FIX = "reinstall stackctl (pip install, or pip install -e from its checkout)"

REDIS_SCRIPTS = ("redis",)
WRK_SCRIPT = ("load", "smoke.lua")
TYK_APPS = ("tyk", "apps")
TYK_POLICIES = ("tyk", "policies")
IMAGE_RECIPES = ("images",)
TEST_RECIPES = ("test-images",)


def asset(*parts: str) -> Traversable:
    """The asset at `parts` (e.g. "redis", "lib.sh"), which may not exist."""
    node = files(PACKAGE)
    for part in parts:
        node = node / part
    return node


def checkout() -> Path | None:
    """The repository checkout the assets are read from (an editable install), else None."""
    root = files(PACKAGE)
    if isinstance(root, Path):
        root = root.resolve()  # a worktree may link its stack/ in as stackctl/_stack
    if isinstance(root, Path) and root.name == "stack" and (root.parent / "pyproject.toml"
                                                               ).is_file():
        return root.parent
    return None


def _name(parts: tuple[str, ...]) -> str:
    return "stack/" + "/".join(parts)


def read_bytes(*parts: str) -> bytes:
    """An asset file's content; ConfigError when it is missing."""
    try:
        return asset(*parts).read_bytes()
    except OSError as exc:
        raise ConfigError(_name(parts), f"cannot be read ({exc.strerror or exc})", FIX) from None


def read_text(*parts: str) -> str:
    """An asset file's text (UTF-8); ConfigError when it is missing."""
    return read_bytes(*parts).decode()


def _folder(parts: tuple[str, ...]) -> Traversable:
    node = asset(*parts)
    if not node.is_dir():
        raise ConfigError(_name(parts), "is not a folder of the installed assets", FIX)
    return node


def walk(*parts: str) -> dict[str, Traversable]:
    """relative posix path -> file, for every file under an asset folder (hidden ones skipped)."""
    out: dict[str, Traversable] = {}

    def visit(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.name.startswith(".") or child.name == "__pycache__":
                continue
            if child.is_dir():
                visit(child, f"{prefix}{child.name}/")
            else:
                out[prefix + child.name] = child

    visit(_folder(parts), "")
    return dict(sorted(out.items()))


def names(*parts: str, suffix: str = "") -> list[str]:
    """The names of the files directly in an asset folder that end in `suffix`, sorted."""
    return sorted(n for n in walk(*parts) if "/" not in n and n.endswith(suffix))


def copy_tree(target: Path, *parts: str, mode: int = 0o644) -> Path:
    """Mirror an asset folder into the real directory `target` (atomic, stale files removed)."""
    wanted = walk(*parts)
    for rel, node in wanted.items():
        path = target / rel
        data = node.read_bytes()
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data, mode)
    for path in sorted(target.rglob("*"), reverse=True):
        rel = path.relative_to(target).as_posix()
        if path.is_file() and rel not in wanted:
            path.unlink()
    return target


@contextlib.contextmanager
def as_directory(*parts: str) -> Iterator[Path]:
    """A real directory holding an asset folder: the installed one (pip), else a temporary copy."""
    node = _folder(parts)
    if isinstance(node, Path):
        yield node
        return
    with tempfile.TemporaryDirectory(prefix="stackctl-assets.") as tmp:
        yield copy_tree(Path(tmp), *parts)
