"""The pump's csv sink on Swarm, read without a shell in the pump: its tmpfs volume
(`stackfile.CSV_VOLUME`) lives on the pump task's node, where a helper container mounts
it read-only and prints every file."""

from __future__ import annotations

from stackctl.errors import ToolError
from stackctl.runtime.oneshot import run_oneshot
from stackctl.runtime.swarm import Stack
from stackctl.swarm.stackfile import CSV_VOLUME

READ_SCRIPT = "cat /csv/*.csv 2>/dev/null; true"


def pump_csv(stack: Stack, image: str) -> str | None:
    """The csv sink as text, read by a helper container of `image` (one with a shell, e.g.
    the Redis image) here; None when no pump task runs on this node."""
    if not stack.local_tasks().get("pump"):
        return None
    result = run_oneshot(image, ["sh", "-c", READ_SCRIPT], "none",
                         volumes=[(stack.full(CSV_VOLUME), "/csv")])
    if not result.ok:
        raise ToolError(f"reading the pump's csv sink: {result.stderr.strip()[:120]}")
    return result.stdout
