"""Tyk binaries from their Go modules, built on the host with the host's Go toolchain.

The module is downloaded through the Go module proxy into the default module cache,
copied into a build folder under stackctl's cache (keyed by module version) and built
there with cgo and `-tags goplugin`, the release injected with `-ldflags -X`.
GOMODCACHE and GOCACHE stay the user's, so warm builds are fast.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from stackctl.errors import ToolError
from stackctl.tools import go
from stackctl.versions import GoModule

REFUSAL_SIGNS = ("403 Forbidden", "410 Gone")
_GO_DIRECTIVE = re.compile(r"^go\s+(\d+)\.(\d+)(?:\.(\d+))?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class GoBinary:
    """A built binary and the module source tree it came from."""

    binary: Path
    src: Path
    go_directive: tuple[int, ...]
    download_bytes: int  # size of the module zips of the whole graph


def ref(module: GoModule) -> str:
    """`path@version` as `go mod download` takes it."""
    return f"{module.path}@{module.version}"


def fmt_version(version: tuple[int, ...]) -> str:
    """(1, 24, 6) -> `1.24.6`."""
    return ".".join(map(str, version))


def go_directive(go_mod: str) -> tuple[int, ...]:
    """The `go` directive of a go.mod text, e.g. (1, 24, 6); (1, 0) when absent."""
    match = _GO_DIRECTIVE.search(go_mod)
    if not match:
        return (1, 0)
    return tuple(int(g) for g in match.groups() if g is not None)


def check_toolchain(have: tuple[int, ...], need: tuple[int, ...], module_ref: str) -> None:
    """Raise when the host Go is older than the module's go directive."""
    if have < need:
        raise ToolError(
            f"go toolchain: go {fmt_version(have)} is older than go {fmt_version(need)}, "
            f"which {module_ref} requires (its go.mod); install Go >= {fmt_version(need)}"
        )


def refused(error: str) -> bool:
    """Whether a `go mod download` error is the module proxy refusing a version."""
    return any(sign in error for sign in REFUSAL_SIGNS)


def unknown_to_sumdb(error: str) -> bool:
    """Whether a download failed because the checksum database has no entry."""
    return "sumdb" in error and "404 Not Found" in error


def download_error(module: GoModule, failed: go.ModuleDownload) -> ToolError:
    """One line for a failed download: the module itself, or one of its dependencies."""
    what = f"{failed.path}@{failed.version}"
    main = what == ref(module)
    last = failed.error.strip().splitlines()[-1].strip() if failed.error.strip() else "failed"
    last = last.rsplit(": ", 1)[-1] if len(last) > 120 else last
    if unknown_to_sumdb(failed.error):
        return ToolError(f"{what}: unknown to the Go checksum database (404); pin its h1 hash "
                         "in versions.py (sum=..., nosumdb=True) to build it")
    if refused(failed.error):
        sign = next(s for s in REFUSAL_SIGNS if s in failed.error)
        if main:
            return ToolError(f"{what}: refused by the Go module proxy ({sign})")
        return ToolError(f"{ref(module)}: its dependency {what} is refused by the Go module "
                         f"proxy ({sign})")
    if main:
        return ToolError(f"{what}: go mod download failed: {last}")
    return ToolError(f"{ref(module)}: dependency {what} failed to download: {last}")


def sumdb_env(module: GoModule) -> dict[str, str]:
    """GONOSUMDB for a module the checksum database does not know (its sum is pinned)."""
    return {"GONOSUMDB": module.path} if module.nosumdb else {}


def check_sum(module: GoModule, got: str) -> None:
    """Raise unless the downloaded module's h1 hash matches the pinned one (when pinned)."""
    if module.nosumdb and not module.sum:
        raise ToolError(f"{ref(module)}: nosumdb needs a pinned sum in versions.py")
    if module.sum and got != module.sum:
        raise ToolError(f"{ref(module)}: checksum mismatch: downloaded {got or 'nothing'}, "
                        f"versions.py pins {module.sum}")


def build_dir(cache: Path, module: GoModule) -> Path:
    """The build folder of one module version under the cache."""
    return cache / "go" / f"{module.path.replace('/', '_')}@{module.version}"


def _writable_copy(source: Path, dest: Path) -> None:
    """Copy a (read-only) module-cache tree and make it owner-writable."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, symlinks=True)
    for root, dirs, files in os.walk(dest):
        for name in [*dirs, *files]:
            path = Path(root, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
    dest.chmod(dest.stat().st_mode | stat.S_IWUSR)


def fetch_and_build(module: GoModule, cache: Path) -> GoBinary:
    """Download `module`, check the toolchain against its go directive, build its binary."""
    have = go.go_version()
    work = build_dir(cache, module)
    scratch = cache / "go" / "outside-module"  # no go.mod above: plain module mode
    scratch.mkdir(parents=True, exist_ok=True)
    env = sumdb_env(module)
    entries = go.mod_download([ref(module)], cwd=scratch, env=env)
    if not entries:
        raise ToolError(f"{ref(module)}: go mod download printed nothing")
    main = entries[0]
    if main.error:
        raise download_error(module, main)
    check_sum(module, main.sum)
    need = go_directive(Path(main.go_mod).read_text())
    check_toolchain(have, need, ref(module))

    src = work / "src"
    marker = work / "copied-from"
    if not marker.exists() or marker.read_text() != main.dir or not src.is_dir():
        marker.unlink(missing_ok=True)
        _writable_copy(Path(main.dir), src)
        marker.write_text(main.dir)
    graph = go.mod_download([], cwd=src, env=env)
    for entry in graph:
        if entry.error:
            raise download_error(module, entry)
    zips = {e.zip for e in [main, *graph] if e.zip}
    size = sum(Path(z).stat().st_size for z in zips if Path(z).exists())

    out = work / "bin" / (module.binary or Path(module.path).name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    go.build(src, partial, tags=("goplugin",),
             ldflags=f"-X {module.version_symbol}={module.release}")
    os.replace(partial, out)
    return GoBinary(binary=out, src=src, go_directive=need, download_bytes=size)
