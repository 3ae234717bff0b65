"""The one function that runs a non-Docker subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from stackctl.errors import ToolError


def run(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str | None = None,
    timeout: float | None = None,
) -> str:
    """Run `command`, return its stdout; raise ToolError with stderr on failure."""
    label = what or command[0]
    try:
        proc = subprocess.run(
            list(command), cwd=cwd, env=dict(env) if env is not None else None,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except FileNotFoundError:
        raise ToolError(f"{label}: {command[0]} not found", command) from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{label}: timed out after {timeout:.0f} s", command) from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()
        last = tail[-1] if tail else f"exit code {proc.returncode}"
        raise ToolError(f"{label}: {last}", command, proc.stderr + proc.stdout)
    return proc.stdout
