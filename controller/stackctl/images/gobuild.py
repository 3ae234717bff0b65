"""Tyk binaries from their Go modules, built on the host with its Go toolchain: the module
is downloaded through the proxy, copied into a build folder in stackctl's cache (keyed by
version and requirement edits) and built with cgo and `-tags goplugin`, the release
injected with `-ldflags -X`. A module with `requires` gets the release's go.mod back,
then `go get` of those versions; the moved lines are kept (go.mod.released,
go-mod-edits.txt) and returned. GOMODCACHE and GOCACHE stay the user's."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from stackctl.errors import ToolError
from stackctl.tools import go
from stackctl.versions import GO_REDIS, TYK_STORAGE, GoModule

REFUSAL_SIGNS = ("403 Forbidden", "410 Gone")
_GO_DIRECTIVE = re.compile(r"^go\s+(\d+)\.(\d+)(?:\.(\d+))?\s*$", re.MULTILINE)
_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()/]+\.[^\s()]+)\s+(v\S+)", re.MULTILINE)
CLIENT_MODULES = (GO_REDIS, TYK_STORAGE)
"""The modules whose selected versions a built binary reports (its image labels)."""


@dataclass(frozen=True)
class Moved:
    """One requirement line of go.mod that a `go get` changed ("" for added/removed)."""

    path: str
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.path} {self.before or '-'}->{self.after or '-'}"


@dataclass(frozen=True)
class GoBinary:
    """A built binary and the module source tree it came from."""

    binary: Path
    src: Path
    go_directive: tuple[int, ...]
    download_bytes: int  # size of the module zips of the whole graph
    moved: tuple[Moved, ...] = ()  # requirement lines `requires` moved
    clients: dict[str, str] = field(default_factory=dict)  # CLIENT_MODULES -> version


def ref(module: GoModule) -> str:
    """`path@version` as `go mod download` takes it."""
    return f"{module.path}@{module.version}"


def fmt_version(version: tuple[int, ...]) -> str:
    """(1, 24, 6) -> `1.24.6`."""
    return ".".join(map(str, version))


def go_directive(go_mod: str) -> tuple[int, ...]:
    """The `go` directive of a go.mod text, e.g. (1, 24, 6); (1, 0) when absent."""
    match = _GO_DIRECTIVE.search(go_mod)
    return tuple(int(g) for g in match.groups() if g is not None) if match else (1, 0)


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
    """The build folder of one module version (and requirement edits) under the cache."""
    name = f"{module.path.replace('/', '_')}@{module.version}"
    if module.requires:
        edits = " ".join(f"{p}@{v}" for p, v in module.requires)
        name += "+" + hashlib.sha256(edits.encode()).hexdigest()[:12]
    return cache / "go" / name


def requirements(go_mod: str) -> dict[str, str]:
    """path -> version of every `require` line of a go.mod text (single and block form)."""
    out: dict[str, str] = {}
    block = ""
    for line in go_mod.splitlines():
        text = line.split("//", 1)[0].strip()
        if block:
            if text == ")":
                block = ""
            elif block == "require" and (match := _REQUIRE.match(text)):
                out[match[1]] = match[2]
            continue
        head = text.split("(", 1)[0].strip()
        if text.endswith("(") and head in ("require", "replace", "exclude", "retract"):
            block = head
        elif head.startswith("require ") and (match := _REQUIRE.match(text)):
            out[match[1]] = match[2]
    return out


def moved(before: str, after: str) -> tuple[Moved, ...]:
    """The requirement lines that differ between two go.mod texts (the `go` directive as "go")."""
    old, new = requirements(before), requirements(after)
    lines = [Moved(p, old.get(p, ""), new.get(p, ""))
             for p in sorted(old.keys() | new.keys()) if old.get(p) != new.get(p)]
    go_before, go_after = go_directive(before), go_directive(after)
    if go_before != go_after:
        lines.insert(0, Moved("go", fmt_version(go_before), fmt_version(go_after)))
    return tuple(lines)


def _edit_requirements(module: GoModule, src: Path, released: Path,
                       env: dict[str, str]) -> tuple[Moved, ...]:
    """Restore the release's go.mod/go.sum, `go get` the `requires`, keep what moved."""
    for name in ("go.mod", "go.sum"):
        shutil.copyfile(released / name, src / name)
        (src / name).chmod(0o644)
    if not module.requires:
        return ()
    before = (src / "go.mod").read_text()
    targets = [f"{p}@{v}" for p, v in module.requires]
    try:
        go.get(src, targets, env=env)
    except ToolError as exc:
        raise ToolError(f"{ref(module)}: go get {' '.join(targets)} failed: {exc}",
                        exc.command, exc.output) from None
    lines = moved(before, (src / "go.mod").read_text())
    work = src.parent
    (work / "go.mod.released").write_text(before)
    (work / "go-mod-edits.txt").write_text("".join(f"{m}\n" for m in lines))
    return lines


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
    edits = _edit_requirements(module, src, Path(main.dir), env)
    graph = go.mod_download([], cwd=src, env=env)
    for entry in graph:
        if entry.error:
            raise download_error(module, entry)
    zips = {e.zip for e in [main, *graph] if e.zip}
    size = sum(Path(z).stat().st_size for z in zips if Path(z).exists())

    out = work / "bin" / (module.binary or Path(module.path).name)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        go.build(src, partial, tags=("goplugin",),
                 ldflags=f"-X {module.version_symbol}={module.release}")
    except ToolError as exc:
        if not module.requires:
            raise
        raise ToolError(f"{ref(module)} with {', '.join(map(str, edits))}: {exc}",
                        exc.command, exc.output) from None
    os.replace(partial, out)
    clients = go.list_modules(src, CLIENT_MODULES, env=env)
    return GoBinary(binary=out, src=src, go_directive=need, download_bytes=size,
                    moved=edits, clients=clients)
