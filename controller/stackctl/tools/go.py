"""The Go toolchain: version, `go mod download -json`, `go build`."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackctl.errors import ToolError
from stackctl.tools._run import run

GO_FALLBACK = "/usr/local/go/bin/go"


def go_binary() -> str:
    """The go command; raises ToolError when absent."""
    found = shutil.which("go") or (
        GO_FALLBACK if Path(GO_FALLBACK).exists() else None
    )
    if not found:
        raise ToolError("go toolchain: `go` not found on PATH; install Go >= 1.25")
    return found


def go_version() -> tuple[int, ...]:
    """The toolchain's version, e.g. (1, 26, 8)."""
    out = run([go_binary(), "env", "GOVERSION"], what="go env")
    match = re.search(r"go(\d+)\.(\d+)(?:\.(\d+))?", out)
    if not match:
        raise ToolError(f"go toolchain: cannot read a version from {out.strip()!r}")
    return tuple(int(g) for g in match.groups() if g is not None)


@dataclass(frozen=True)
class ModuleDownload:
    """One entry of `go mod download -json`."""

    path: str
    version: str
    dir: str = ""
    go_mod: str = ""
    zip: str = ""
    sum: str = ""
    error: str = ""


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment (GOMODCACHE/GOCACHE stay the user's) plus pinned knobs."""
    env = dict(os.environ)
    env["GOTOOLCHAIN"] = "local"  # never fetch another toolchain
    env.setdefault("GOFLAGS", "-buildvcs=false")
    env.update(extra or {})
    return env


def _decode_stream(text: str) -> list[dict[str, Any]]:
    """The JSON objects `go ... -json` prints one after another."""
    decoder = json.JSONDecoder()
    out: list[dict[str, Any]] = []
    pos = text.find("{")
    while pos != -1:
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            break
        if isinstance(obj, dict):
            out.append(obj)
        pos = text.find("{", end)
    return out


def _as_download(obj: Mapping[str, Any]) -> ModuleDownload:
    return ModuleDownload(
        path=str(obj.get("Path", "")), version=str(obj.get("Version", "")),
        dir=str(obj.get("Dir", "")), go_mod=str(obj.get("GoMod", "")),
        zip=str(obj.get("Zip", "")), sum=str(obj.get("Sum", "")),
        error=str(obj.get("Error", "")),
    )


def mod_download(modules: Sequence[str], cwd: Path, *, env: Mapping[str, str] | None = None,
                 timeout: float = 1800.0) -> list[ModuleDownload]:
    """`go mod download -json [modules]` in `cwd` (no modules: the main module's whole graph;
    `env` adds variables, e.g. GONOSUMDB); failures come back in `.error`."""
    command = [go_binary(), "mod", "download", "-json", *modules]
    try:
        out = run(command, cwd=cwd, env=_env(env), what="go mod download", timeout=timeout)
    except ToolError as exc:
        entries = [_as_download(o) for o in _decode_stream(exc.output)]
        if any(e.error for e in entries):
            return entries
        raise
    return [_as_download(o) for o in _decode_stream(out)]


def build(src: Path, output: Path, *, tags: Sequence[str] = (), ldflags: str = "",
          cgo: bool = True, timeout: float = 1800.0) -> None:
    """`go build -trimpath` of the main package in `src` to `output`."""
    command = [go_binary(), "build", "-trimpath"]
    if tags:
        command += ["-tags", ",".join(tags)]
    if ldflags:
        command += ["-ldflags", ldflags]
    command += ["-o", str(output), "."]
    run(command, cwd=src, env=_env({"CGO_ENABLED": "1" if cgo else "0"}),
        what=f"go build {src.name}", timeout=timeout)


def get(src: Path, modules: Sequence[str], *, env: Mapping[str, str] | None = None,
        timeout: float = 1800.0) -> None:
    """`go get path@version ...` in the main module at `src` (go.mod, go.sum and what MVS moves)."""
    run([go_binary(), "get", *modules], cwd=src, env=_env(env), what="go get",
        timeout=timeout)


def list_modules(src: Path, paths: Sequence[str], *,
                 env: Mapping[str, str] | None = None) -> dict[str, str]:
    """path -> selected version in the build list of the main module at `src` (`go list -m`)."""
    command = [go_binary(), "list", "-m", "-e", "-json", *paths]
    out = run(command, cwd=src, env=_env(env), what="go list -m")
    return {str(obj["Path"]): str(obj["Version"]) for obj in _decode_stream(out)
            if obj.get("Version") and not obj.get("Error")}
