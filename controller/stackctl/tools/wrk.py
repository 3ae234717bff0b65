"""wrk on the host: find it, run it (bounded in time), return its output."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from stackctl.errors import ToolError
from stackctl.tools._run import run


def wrk_binary() -> str | None:
    """The host's wrk, or None when it is not installed (`apt-get install wrk`)."""
    return shutil.which("wrk")


def run_wrk(args: Sequence[str], timeout: float) -> str:
    """Run `wrk ARGS` and return its stdout; ToolError when wrk is absent or fails."""
    binary = wrk_binary()
    if binary is None:
        raise ToolError("wrk: not installed on this host; `apt-get install wrk` or use "
                        "--engine builtin")
    return run([binary, *args], what="wrk", timeout=timeout)
