"""kelseyhightower/envconfig v1.4.0 as Tyk uses it. Names: PREFIX + "_" + upper-cased Go field
names joined by "_" (JSON tags ignored). Values: slices comma-joined, NOT trimmed; maps
`k:v,k2:v2`; bools `true`/`false` (empty: a parse error); durations `time.ParseDuration`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

Kind = Literal["str", "int", "bool", "list", "map", "duration"]

LIST_SEPARATOR = ","
MAP_PAIR = ":"


def env_name(prefix: str, go_path: Sequence[str]) -> str:
    """The variable envconfig reads for the field at `go_path` under `prefix`."""
    return "_".join([prefix, *go_path]).upper()


def json_style_env(prefix: str, json_path: Sequence[str]) -> str:
    """The name people often guess from the JSON keys (envconfig does NOT read it)."""
    return "_".join([prefix, *json_path]).upper()


def _duration(nanoseconds: int) -> str:
    """Go duration text for whole seconds or milliseconds (what ParseDuration accepts)."""
    if nanoseconds % 1_000_000_000 == 0:
        return f"{nanoseconds // 1_000_000_000}s"
    return f"{nanoseconds // 1_000_000}ms"


def env_value(kind: Kind, value: object) -> str:
    """Format a JSON-form value as envconfig parses it (durations given in nanoseconds)."""
    if kind == "bool":
        return "true" if value else "false"
    if kind == "list":
        assert isinstance(value, Sequence) and not isinstance(value, str)
        return LIST_SEPARATOR.join(str(v) for v in value)
    if kind == "map":
        assert isinstance(value, Mapping)
        return LIST_SEPARATOR.join(f"{k}{MAP_PAIR}{v}" for k, v in value.items())
    if kind == "duration":
        assert isinstance(value, int)
        return _duration(value)
    return str(value)


def parse_bool(text: str) -> bool | None:
    """Go's strconv.ParseBool; None when Go would refuse the text (e.g. empty)."""
    if text in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if text in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def parse_list(text: str) -> list[str]:
    """A slice as envconfig splits it: on commas, without trimming."""
    return text.split(LIST_SEPARATOR) if text else []
