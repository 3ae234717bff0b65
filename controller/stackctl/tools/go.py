"""The Go toolchain."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

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
