"""The global options (given before the command name), light enough for the CLI's entry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Globals:
    """Options given before the command name."""

    config: Path | None = None
    verbose: bool = False
