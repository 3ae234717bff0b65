"""The state directory and atomic file writes: nothing is ever half-written."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from stackctl.errors import BadFileError


def atomic_write(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` through a temporary file and a rename; the file gets `mode` before
    any byte is written, so a key file is never readable by others, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, obj: Any, mode: int = 0o644) -> None:
    """Write `obj` as indented JSON, atomically."""
    atomic_write(path, json.dumps(obj, indent=2, sort_keys=True) + "\n", mode)


def read_json(path: Path) -> Any:
    """A JSON file's content, None when absent; BadFileError (a ValueError) when not JSON."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadFileError(str(path), f"is not valid JSON ({exc})",
                           "fix it, or delete it and run the command that wrote it") from None
