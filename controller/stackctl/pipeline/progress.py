"""Progress reporters: a line per step for people, a JSON event per step for machines."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import ClassVar, Literal, Protocol, TextIO

from rich.console import Console

Status = Literal["start", "ok", "failed", "skipped"]


@dataclass(frozen=True)
class StepEvent:
    """One progress event."""

    step: str
    status: Status
    seconds: float = 0.0
    detail: str = ""


class Progress(Protocol):
    """Receives step events."""

    def emit(self, event: StepEvent) -> None:
        """Report one event."""


class JsonProgress:
    """One JSON object per line (for `--json`)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    def emit(self, event: StepEvent) -> None:
        """Write the event as a JSON line."""
        self._stream.write(json.dumps({"event": "step", **asdict(event)}) + "\n")
        self._stream.flush()


class PlainProgress:
    """Human lines: a tick or a cross per step with its time (rich markup on a terminal)."""

    MARKS: ClassVar[dict[str, str]] = {
        "ok": "[green]✓[/]", "failed": "[red]✗[/]", "skipped": "[dim]-[/]"}

    def __init__(self, verbose: bool = False) -> None:
        self._console = Console(stderr=True, highlight=False)
        self._verbose = verbose

    def emit(self, event: StepEvent) -> None:
        """Print finished steps; starts only with --verbose."""
        if event.status == "start":
            if self._verbose:
                self._console.print(f"  … {event.step}")
            return
        detail = f"  {event.detail}" if event.detail else ""
        self._console.print(
            f" {self.MARKS[event.status]} {event.step:<22} {event.seconds:6.1f}s{detail}"
        )
